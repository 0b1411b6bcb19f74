/* ops.c: the op table, generated from ops.def. */
#include "ops.h"

const VnOpInfo vn_ops[VN_OP_COUNT] = {
#define OP(NAME, name, nin, flags, operands, doc) {name, nin, flags, operands, doc},
#include "ops.def"
#undef OP
};
_Static_assert(sizeof vn_ops / sizeof vn_ops[0] == VN_OP_COUNT, "ops.def and vn_ops disagree");
