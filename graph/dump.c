/* dump.c: the graph as text (venusc compile -d PASS) and as Graphviz (--dot).
 * One line per node:
 *   %7 = matmul %5, %6, _, %2  [T,64] f32  act=silu glu  L0  archspecs/lib/decoder.lua:60
 * After plan, @arena+OFF / @weights+OFF give the buffer. */
#include "graph.h"
#include "ops.h"
#include <string.h>

static void dims(FILE *f, const VnNode *n) {
  fputc('[', f);
  for (int i = 0; i < n->nd; i++) {
    int64_t d = n->dim[i];
    if (i) fputc(',', f);
    if (d == VN_T) fputs("T", f);
    else if (d == VN_TOUT) fputs("Tout", f);
    else if (d == VN_CTX) fputs("CTX", f);
    else fprintf(f, "%lld", (long long)d);
  }
  fputc(']', f);
}

void vn_wx_print(const VnWx *w, FILE *f) {
  static const char *kn[] = {"", "cat", "pairs", "rows", "t", "add", "scale", "zeros", "reshape", "permute", "unpair", "exp"};
  if (w->kind == VN_WX_TENSOR) { fputs(w->tensor, f); return; }
  fprintf(f, "%s(", kn[w->kind]);
  for (int i = 0; i < w->nargs; i++) {
    if (i) fputs(", ", f);
    vn_wx_print(w->args[i], f);
  }
  if (w->kind == VN_WX_ROWS) fprintf(f, ", %lld, %lld", (long long)w->a, (long long)w->b);
  if (w->kind == VN_WX_UNPAIR) fprintf(f, ", %lld heads", (long long)w->a);
  if (w->kind == VN_WX_ADD || w->kind == VN_WX_SCALE) fprintf(f, ", %g", w->c);
  if (w->kind == VN_WX_PERMUTE)
    for (int i = 0; i < w->nd; i++) fprintf(f, "%s%d", i ? "," : ", ", w->perm[i] + 1);
  if (w->kind == VN_WX_ZEROS || w->kind == VN_WX_RESHAPE) {
    if (w->kind == VN_WX_RESHAPE) fputs(", ", f);
    for (int i = 0; i < w->nd; i++) fprintf(f, "%s%lld", i ? "x" : "", (long long)w->dim[i]);
  }
  fputc(')', f);
}

static void params(FILE *f, const VnGraph *g, const VnNode *n) {
  const VnParams *p = &n->p;
  if (p->act) fprintf(f, " act=%s", vn_act_name(p->act));
  if (p->glu) fprintf(f, " glu");
  if (p->group) fprintf(f, " group=%d", p->group);
  if (p->heads) fprintf(f, " heads=%d/%d hd=%d", p->heads, p->kv_heads, p->head_dim);
  if (p->v_head_dim) fprintf(f, " vd=%d", p->v_head_dim);
  if (n->op == VN_OP_ATTENTION) fprintf(f, " %s", p->causal ? "causal" : "bidir");
  if (p->window) fprintf(f, " window=%d", p->window);
  if (n->op == VN_OP_ROPE || (n->op == VN_OP_ATTENTION && p->rope)) {
    int r = n->op == VN_OP_ROPE ? p->rope : p->rope - 1;
    const VnRope *ro = &g->ropes[r];
    fprintf(f, " rope=%d(rot=%d%s%s%s)", r, ro->rot_dim, ro->interleaved ? " interleaved" : "", ro->dynamic ? " dynamic" : "",
            ro->long_after ? " long" : "");
  }
  if (n->op == VN_OP_VIEW) fprintf(f, " col0=%d", p->col0);
  if (n->op == VN_OP_POSITIONS && p->col0) fprintf(f, " offset=%d", p->col0);
  if (p->alibi) fprintf(f, p->alibi == 2 ? " alibi_bf16" : " alibi");
  if (p->top_k) fprintf(f, " top_k=%d", p->top_k);
  if (n->op == VN_OP_ROUTE)
    fprintf(f, " %s%s", p->route == VN_ROUTE_SIGMOID ? "sigmoid" : p->route == VN_ROUTE_SPARSEMIXER ? "sparsemixer" : "softmax",
            p->renorm ? " renorm" : "");
  if (p->groups > 1) fprintf(f, " groups=%d/%d", p->top_groups, p->groups);
  if (p->softplus) fprintf(f, " softplus");
  if (p->rope_dim) fprintf(f, " rope_dim=%d", p->rope_dim);
  if (p->eps) fprintf(f, " eps=%g", p->eps);
  if (p->limit) fprintf(f, " limit=%g alpha=%g", p->limit, p->alpha);
  if (p->scale) fprintf(f, " scale=%g", p->scale);
  if (p->cap) fprintf(f, " cap=%g", p->cap);
  if (p->cross) fprintf(f, " cross");
  if (p->rel_buckets) fprintf(f, " relpos=%d/%d", p->rel_buckets, p->rel_max);
  if (p->stride) fprintf(f, " stride=%d", p->stride);
  if (n->phase == VN_PHASE_ENCODER && !(vn_ops[n->op].flags & VN_OPF_LEAF)) fprintf(f, " [encoder]");
}

void vn_graph_dump(const VnGraph *g, FILE *f) {
  fprintf(f, "# graph: %u nodes, %d rope tables, output %%%u", g->n, g->nropes, g->output);
  if (g->hidden != VN_NONE) fprintf(f, ", hidden %%%u", g->hidden);
  fputc('\n', f);
  for (uint32_t i = 0; i < g->n; i++) {
    const VnNode *n = &g->nodes[i];
    fprintf(f, "%%%u = %s", i, vn_ops[n->op].name);
    int first = 1;
    for (int k = 0; k < vn_ops[n->op].nin; k++) {
      fputs(first ? " " : ", ", f);
      first = 0;
      if (n->src[k] == VN_NONE) fputc('_', f);
      else fprintf(f, "%%%u", n->src[k]);
    }
    if (n->op == VN_OP_WEIGHT) { fputc(' ', f); vn_wx_print(n->wx, f); }
    if (n->op == VN_OP_STATE && n->name) fprintf(f, " %s", n->name);
    fputs("  ", f);
    dims(f, n);
    fprintf(f, " %s", vn_dtype_name(n->dtype));
    params(f, g, n);
    if (n->layer >= 0) fprintf(f, "  L%d", n->layer);
    if (n->loc.file) fprintf(f, "  %s:%d", n->loc.file, n->loc.line);
    if (n->op == VN_OP_WEIGHT && n->offset >= 0) fprintf(f, "  @weights+%lld", (long long)n->offset);
    else if (n->op == VN_OP_STATE && n->dim[0] == VN_CTX && g->state_row_bytes) fprintf(f, "  @state+%lld*ctx", (long long)n->state_off);
    else if (n->op == VN_OP_STATE && n->dim[0] != VN_CTX) fprintf(f, "  @state+ctx*%lld+%lld", (long long)g->state_row_bytes, (long long)n->state_off);
    else if (n->offset >= 0) fprintf(f, "  @arena+%lld", (long long)n->offset);
    fputc('\n', f);
  }
  if (g->arena_bytes)
    fprintf(f, "# plan: arena %lld bytes for %lld tokens, state %lld bytes per position + %lld, weights %lld bytes\n",
            (long long)g->arena_bytes, (long long)g->t_max, (long long)g->state_row_bytes, (long long)g->state_fixed_bytes,
            (long long)g->weight_bytes);
}

/* Graphviz: labels are escaped (tensor names come from model files). */
static void dot_str(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', f);
    if ((unsigned char)*s < 0x20) continue;
    fputc(*s, f);
  }
}

void vn_graph_dot(const VnGraph *g, FILE *f) {
  fprintf(f, "digraph venus {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\", fontsize=10];\n");
  for (uint32_t i = 0; i < g->n; i++) {
    const VnNode *n = &g->nodes[i];
    const char *style = n->op == VN_OP_WEIGHT ? ", style=filled, fillcolor=\"#e8e8e8\""
                      : n->op == VN_OP_STATE ? ", style=filled, fillcolor=\"#ffe8c0\"" : "";
    fprintf(f, "  n%u [label=\"%%%u %s", i, i, vn_ops[n->op].name);
    if (n->name) { fputs("\\n", f); dot_str(f, n->name); }
    fputs("\\n", f);
    char buf[256];
    FILE *m = fmemopen(buf, sizeof buf, "w");
    dims(m, n);
    params(m, g, n);
    fclose(m);
    buf[sizeof buf - 1] = 0;
    dot_str(f, buf);
    fprintf(f, "\"%s];\n", style);
    for (int k = 0; k < VN_MAXSRC; k++)
      if (n->src[k] != VN_NONE) fprintf(f, "  n%u -> n%u;\n", n->src[k], i);
  }
  fprintf(f, "}\n");
}
