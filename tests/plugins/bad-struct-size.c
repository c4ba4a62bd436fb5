/* Fault: struct_size does not match the ABI version it claims. */
#define PLUGIN_NAME "bad-struct-size"
#define FAULT_STRUCT_SIZE 8
#include "minmax_impl.h"
