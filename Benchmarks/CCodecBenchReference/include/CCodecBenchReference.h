#ifndef SFA_CODEC_BENCH_REFERENCE_H
#define SFA_CODEC_BENCH_REFERENCE_H
#include <protobuf-c/protobuf-c.h>

/* The reference the Swift binding is measured against: protobuf-c called straight
 * from C on an already-built struct, as a C program would.
 * Each returns a checksum of the work so the loop cannot be optimised away. */

/** get_packed_size + pack of `message`, `iterations` times, into `out`. */
size_t sfa_bench_c_pack(const ProtobufCMessage *message, uint8_t *out, size_t iterations);

/** unpack + free_unpacked of `data`, `iterations` times. */
size_t sfa_bench_c_unpack(const ProtobufCMessageDescriptor *descriptor, const uint8_t *data, size_t length,
                          size_t iterations);
#endif
