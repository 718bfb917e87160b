#include "CCodecBenchReference.h"

size_t sfa_bench_c_pack(const ProtobufCMessage *message, uint8_t *out, size_t iterations) {
    size_t checksum = 0;
    for (size_t i = 0; i < iterations; i++) {
        size_t size = protobuf_c_message_get_packed_size(message);
        checksum += protobuf_c_message_pack(message, out) + size + out[size / 2];
    }
    return checksum;
}

size_t sfa_bench_c_unpack(const ProtobufCMessageDescriptor *descriptor, const uint8_t *data, size_t length,
                          size_t iterations) {
    size_t checksum = 0;
    for (size_t i = 0; i < iterations; i++) {
        ProtobufCMessage *message = protobuf_c_message_unpack(descriptor, NULL, length, data);
        if (message == NULL) return 0;
        checksum += message->descriptor->n_fields;
        protobuf_c_message_free_unpacked(message, NULL);
    }
    return checksum;
}
