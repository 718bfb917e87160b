#ifndef SFA_CPROTOBUFC_SHIM_H
#define SFA_CPROTOBUFC_SHIM_H
#include <protobuf-c/protobuf-c.h>
#endif
