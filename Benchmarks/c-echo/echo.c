/*
 * echo: the ceiling for the call-path benchmark (scripts/bench). A raw
 * length-prefixed echo over TCP on 127.0.0.1, one thread per connection: each
 * REQUEST frame is answered with a 14-byte RESPONSE frame with the same call id,
 * an empty header (status OK) and an empty payload (docs/protocol.md §2). Other
 * frames are ignored. No protobuf, no allocation per call, no dispatch: what any
 * server over loopback on this machine cannot beat.
 *
 *   cc -O2 -pthread -o echo Benchmarks/c-echo/echo.c
 *   ./echo [port]       # port 0 (the default) lets the system choose
 *
 * It prints "PORT <n>" on standard output once it listens, and runs until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    PREFIX_BYTES = 4,           /* the length field */
    FIXED_BYTES = 10,           /* type, flags, call id, header length */
    TYPE_REQUEST = 1,
    TYPE_RESPONSE = 2,
    RESPONSE_BYTES = PREFIX_BYTES + FIXED_BYTES,
    MAX_FRAME_BYTES = 4 * 1024 * 1024, /* the server's default limit */
    READ_BYTES = 64 * 1024,
};

static uint32_t read_u32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void write_u32(unsigned char *p, uint32_t value) {
    p[0] = value >> 24;
    p[1] = value >> 16;
    p[2] = value >> 8;
    p[3] = value;
}

static int write_all(int fd, const unsigned char *data, size_t count) {
    while (count > 0) {
        ssize_t written = write(fd, data, count);
        if (written < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        data += written;
        count -= (size_t)written;
    }
    return 0;
}

/*
 * Serves one connection until the peer closes it or breaks the framing. The
 * answers to every complete frame of one read go out in one write, as a server
 * that flushes once per read does.
 */
static void *serve(void *argument) {
    int fd = (int)(intptr_t)argument;
    size_t capacity = READ_BYTES, used = 0;
    unsigned char *in = malloc(capacity);
    /* A read of n bytes holds at most n / 14 frames, each answered in 14 bytes. */
    unsigned char *out = malloc(capacity);
    if (in == NULL || out == NULL) goto done;

    for (;;) {
        if (capacity - used < READ_BYTES / 2) {
            /* Only a frame larger than the buffer gets here: make room for it. */
            size_t grown = capacity * 2;
            unsigned char *bigger_in = realloc(in, grown);
            if (bigger_in == NULL) goto done;
            in = bigger_in;
            unsigned char *bigger_out = realloc(out, grown);
            if (bigger_out == NULL) goto done;
            out = bigger_out;
            capacity = grown;
        }
        ssize_t received = read(fd, in + used, capacity - used);
        if (received < 0 && errno == EINTR) continue;
        if (received <= 0) goto done;
        used += (size_t)received;

        size_t offset = 0, answered = 0;
        while (used - offset >= PREFIX_BYTES) {
            uint32_t length = read_u32(in + offset);
            if (length < FIXED_BYTES || length > MAX_FRAME_BYTES) goto done; /* not our protocol */
            if (used - offset < PREFIX_BYTES + (size_t)length) break;       /* wait for the rest */
            const unsigned char *frame = in + offset + PREFIX_BYTES;
            if (frame[0] == TYPE_REQUEST) {
                unsigned char *response = out + answered;
                write_u32(response, FIXED_BYTES);
                response[4] = TYPE_RESPONSE;
                response[5] = 0;                     /* flags */
                memcpy(response + 6, frame + 2, 4);  /* call id, as received */
                write_u32(response + 10, 0);         /* header length: status OK */
                answered += RESPONSE_BYTES;
            }
            offset += PREFIX_BYTES + length;
        }
        if (answered > 0 && write_all(fd, out, answered) < 0) goto done;
        memmove(in, in + offset, used - offset);
        used -= offset;
    }

done:
    free(in);
    free(out);
    close(fd);
    return NULL;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    /* A client that goes away must end its connection's thread, not the process. */
    signal(SIGPIPE, SIG_IGN);

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 256) < 0 ||
        getsockname(listener, (struct sockaddr *)&address, &size) < 0) {
        perror("echo: cannot listen");
        return 1;
    }
    printf("PORT %d\n", ntohs(address.sin_port));
    fflush(stdout);

    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            perror("echo: accept");
            return 1;
        }
        /* As the bundled client and server do: answers go out at once. */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t thread;
        if (pthread_create(&thread, NULL, serve, (void *)(intptr_t)fd) != 0) {
            close(fd);
            continue;
        }
        pthread_detach(thread);
    }
}
