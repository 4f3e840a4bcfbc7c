"""The C half of the native search: the breadth-first loop and its stores, one translation unit
with the generated spec functions spliced in at ``/*@SPEC@*/`` (by :mod:`.cgen`).

The loop is :func:`checker.engine.explore.explore`'s, step for step (the same counts, depths and
first finding): states are stored in insertion order, which under breadth-first search is also
the queue order, so a state's index is its place in the queue and its parent is an index (4
bytes).  The exact store keeps each state packed in ``PAPC_NBYTES`` bytes; the fingerprint store
keeps a 64-bit hash instead (a bijection for states of up to 64 bits, so no collision there) and
queues the states still to expand.  Both find entries through an open-addressing table of 32-bit
indices.  A model error longjmps back to ``papc_run``, which reports the state and the phase
(expanding it, or examining a new state); the caller replays it in Python for the message.
"""

RUNTIME = r"""
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <sys/mman.h>

typedef __int128 V;
typedef unsigned __int128 U;

static jmp_buf papc_jb;
__attribute__((noinline, cold, noreturn)) static void papc_jump(int code) { longjmp(papc_jb, code); }
__attribute__((noinline, cold)) static V papc_fail(int site) { (void)site; papc_jump(1); return 0; }
static inline V papc_div(V a, V b, int site) { if (b == 0) papc_fail(site); return a / b; }
static inline V papc_mod(V a, V b, int site) { if (b == 0) papc_fail(site); return b == -1 ? 0 : a % b; }
static inline V papc_min(V a, V b) { return a < b ? a : b; }
static inline V papc_max(V a, V b) { return a > b ? a : b; }
static inline V papc_abs(V a) { return a < 0 ? -a : a; }
static inline V papc_popcount(V x) {
    U u = (U)x;
    return (V)(__builtin_popcountll((uint64_t)u) + __builtin_popcountll((uint64_t)(u >> 64)));
}

static V *papc_out;
static size_t papc_nout, papc_cap;
__attribute__((noinline)) static void papc_grow(void) {
    size_t c = papc_cap ? papc_cap * 2 : 1024;
    V *p = (V *)realloc(papc_out, c * sizeof(V));
    if (!p) papc_jump(2);
    papc_out = p;
    papc_cap = c;
}
#define EMIT(x) do { if (papc_nout == papc_cap) papc_grow(); papc_out[papc_nout++] = (x); } while (0)

/*@SPEC@*/

static inline uint64_t papc_mix(uint64_t x) {
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27; x *= 0x94d049bb133111ebULL;
    x ^= x >> 31; return x;
}
static inline uint64_t papc_hash(V s) {
    U u = (U)s;
    return papc_mix((uint64_t)u ^ papc_mix((uint64_t)(u >> 64) + 0x9E3779B97F4A7C15ULL));
}
static inline V papc_load(const uint8_t *p) { V x = 0; memcpy(&x, p, PAPC_NBYTES); return x; }
static inline V papc_make(uint64_t lo, uint64_t hi) { return (V)(((U)hi << 64) | (U)lo); }
static inline void papc_put(V s, uint64_t *out) { U u = (U)s; out[0] = (uint64_t)u; out[1] = (uint64_t)(u >> 64); }

enum { R_CONTINUE = 0, R_DONE = 1, R_FOUND = 2, R_MAXSTATES = 3, R_NOMEM = 4 };
enum { F_NONE = 0, F_INV = 1, F_DEADLOCK = 2, F_ERR_EXPAND = 3, F_ERR_EXAMINE = 4 };
#define NO_PARENT 0xFFFFFFFFu

typedef struct {
    int fp, has_inv, check_deadlock;
    uint64_t pending, max_states;
    uint8_t *keys;          /* packed states (exact) or uint64 fingerprints, in insertion order */
    uint32_t *par;
    uint64_t n, cap, keysz;
    uint32_t *tab;          /* index + 1, 0 = empty */
    uint64_t tmask, ibits;
    uint8_t *q;             /* fingerprint store: the states still to expand */
    uint64_t qhead, qtail, qcap;
    uint64_t popped, level, level_end, transitions, depth, ample, full;
    int64_t witness[64];
    V witness_state[64];
    int found_kind, found_prop, phase;
    V found_state, cur;
} papc_ctx;

void *papc_new(int fp, int has_inv, int check_deadlock, uint64_t pending, uint64_t max_states) {
    papc_ctx *c = (papc_ctx *)calloc(1, sizeof(papc_ctx));
    if (!c) return 0;
    c->fp = fp; c->has_inv = has_inv; c->check_deadlock = check_deadlock;
    c->pending = pending; c->max_states = max_states;
    c->keysz = fp ? 8 : PAPC_NBYTES;
    c->cap = 1 << 12;
    c->keys = (uint8_t *)malloc(c->cap * c->keysz);
    c->par = (uint32_t *)malloc(c->cap * sizeof(uint32_t));
    c->tmask = (1 << 13) - 1;
    c->ibits = 13;
    c->tab = (uint32_t *)calloc(c->tmask + 1, sizeof(uint32_t));
    for (int i = 0; i < 64; i++) c->witness[i] = -1;
    if (!c->keys || !c->par || !c->tab) { free(c->keys); free(c->par); free(c->tab); free(c); return 0; }
    return c;
}

void papc_free(void *p) {
    papc_ctx *c = (papc_ctx *)p;
    if (!c) return;
    free(c->keys); free(c->par); free(c->tab); free(c->q); free(c);
}

static inline int papc_same(papc_ctx *c, uint64_t idx, V s, uint64_t h) {
    if (c->fp) { uint64_t k; memcpy(&k, c->keys + idx * 8, 8); return k == h; }
    return papc_load(c->keys + idx * PAPC_NBYTES) == s;
}

static uint64_t papc_key_hash(papc_ctx *c, uint64_t idx) {
    if (c->fp) { uint64_t k; memcpy(&k, c->keys + idx * 8, 8); return k; }
    return papc_hash(papc_load(c->keys + idx * PAPC_NBYTES));
}

/* A slot holds (tag << ibits) | (index + 1), ibits = log2(table size): the tag, the hash's top
   32 - ibits bits, rejects most non-matching slots without reading the stored state. */
static inline uint64_t papc_tag(papc_ctx *c, uint64_t h) { return c->ibits >= 32 ? 0 : h >> (32 + c->ibits); }

/* a zeroed table, on huge pages where the system offers them (fewer TLB misses: every probe
   is a random access) */
static uint32_t *papc_table(uint64_t size) {
    uint64_t bytes = size * sizeof(uint32_t);
    if (bytes < (2u << 20)) return (uint32_t *)calloc(size, sizeof(uint32_t));
    void *p = 0;
    if (posix_memalign(&p, 2u << 20, bytes)) return 0;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
    memset(p, 0, bytes);
    return (uint32_t *)p;
}

__attribute__((noinline)) static int papc_rehash(papc_ctx *c) {
    uint64_t size = (c->tmask + 1) * 2, mask = size - 1;
    uint32_t *t = papc_table(size);
    if (!t) return 0;
    free(c->tab);
    c->tab = t;
    c->tmask = mask;
    c->ibits++;
    uint64_t hs[16];
    for (uint64_t i0 = 0; i0 < c->n; i0 += 16) {
        uint64_t m = c->n - i0 < 16 ? c->n - i0 : 16;
        for (uint64_t k = 0; k < m; k++) { hs[k] = papc_key_hash(c, i0 + k); __builtin_prefetch(&t[hs[k] & mask], 1); }
        for (uint64_t k = 0; k < m; k++) {
            uint64_t j = hs[k] & mask;
            while (t[j]) j = (j + 1) & mask;
            t[j] = (uint32_t)((papc_tag(c, hs[k]) << c->ibits) | (i0 + k + 1));
        }
    }
    return 1;
}

/* 1: new, 0: stored already, -1: out of memory or of 32-bit indices */
__attribute__((noinline)) static int papc_insert(papc_ctx *c, V s, uint32_t parent) {
    uint64_t h = papc_hash(s), i = h & c->tmask, tag = papc_tag(c, h);
    uint64_t imask = c->ibits >= 32 ? 0xFFFFFFFFull : ((uint64_t)1 << c->ibits) - 1;
    for (;;) {
        uint64_t e = c->tab[i];
        if (!e) break;
        if ((e >> c->ibits) == tag && papc_same(c, (e & imask) - 1, s, h)) return 0;
        i = (i + 1) & c->tmask;
    }
    if (c->n >= 0xFFFFFFF0ull) return -1;
    if (c->n == c->cap) {
        uint64_t cap = c->cap + c->cap / 2;
        uint8_t *k = (uint8_t *)realloc(c->keys, cap * c->keysz);
        if (!k) return -1;
        c->keys = k;
        uint32_t *p = (uint32_t *)realloc(c->par, cap * sizeof(uint32_t));
        if (!p) return -1;
        c->par = p;
        c->cap = cap;
    }
    if (c->fp) memcpy(c->keys + c->n * 8, &h, 8);
    else memcpy(c->keys + c->n * PAPC_NBYTES, &s, PAPC_NBYTES);
    c->par[c->n] = parent;
    c->tab[i] = (uint32_t)((tag << c->ibits) | (c->n + 1));
    c->n++;
    if (c->n * 10 > (c->tmask + 1) * 7 && !papc_rehash(c)) return -1;
    if (c->fp) {
        if (c->qtail == c->qcap) {
            if (c->qhead > c->qcap / 2) {
                memmove(c->q, c->q + c->qhead * PAPC_NBYTES, (c->qtail - c->qhead) * PAPC_NBYTES);
                c->qtail -= c->qhead; c->qhead = 0;
            } else {
                uint64_t cap = c->qcap ? c->qcap * 2 : 4096;
                uint8_t *q = (uint8_t *)realloc(c->q, cap * PAPC_NBYTES);
                if (!q) return -1;
                c->q = q; c->qcap = cap;
            }
        }
        memcpy(c->q + c->qtail * PAPC_NBYTES, &s, PAPC_NBYTES);
        c->qtail++;
    }
    return 1;
}

static int papc_examine(papc_ctx *c, V t, uint64_t idx) {
    if (c->has_inv) {
        int b = papc_inv(t);
        if (b >= 0) { c->found_kind = F_INV; c->found_prop = b; c->found_state = t; return 1; }
    }
    if (c->pending) {
        uint64_t hit = papc_reach(t) & c->pending;
        if (hit) {
            for (int i = 0; i < 64; i++) if ((hit >> i) & 1) { c->witness[i] = (int64_t)idx; c->witness_state[i] = t; }
            c->pending &= ~hit;
        }
    }
    return 0;
}

/* the index of a stored state, or -1 */
static inline int64_t papc_find(papc_ctx *c, V s) {
    uint64_t h = papc_hash(s), i = h & c->tmask, tag = papc_tag(c, h);
    uint64_t imask = c->ibits >= 32 ? 0xFFFFFFFFull : ((uint64_t)1 << c->ibits) - 1;
    for (;;) {
        uint64_t e = c->tab[i];
        if (!e) return -1;
        if ((e >> c->ibits) == tag && papc_same(c, (e & imask) - 1, s, h)) return (int64_t)(e & imask) - 1;
        i = (i + 1) & c->tmask;
    }
}

/* the cycle proviso: is the stored state i still to be expanded after s (index cur), in this
   level or the next?  At level 0 only the states stored during the level count (the Python
   expander starts its pending set empty) */
static inline int papc_later(papc_ctx *c, uint64_t i, uint64_t cur) {
    return c->level == 0 ? i >= c->level_end : i > cur;
}

#if PAPC_POR
/*@POR@*/
#endif

/* an initial state: 0 stored already, 1 new, 2 new with a finding, -1 out of memory */
int papc_add_initial(void *p, uint64_t lo, uint64_t hi, int check) {
    papc_ctx *c = (papc_ctx *)p;
    V s = papc_canon(papc_make(lo, hi));
    int r = papc_insert(c, s, NO_PARENT);
    if (r <= 0) return r;
    c->level_end = c->n;
    if (!check) return 1;
    c->phase = F_ERR_EXAMINE; c->cur = s;
    int j = setjmp(papc_jb);
    if (j == 1) { c->found_kind = F_ERR_EXAMINE; c->found_state = s; return 2; }
    if (j) return -1;
    return papc_examine(c, s, c->n - 1) ? 2 : 1;
}

int papc_run(void *p, uint64_t budget) {
    papc_ctx *c = (papc_ctx *)p;
    volatile uint64_t left = budget;
    int j = setjmp(papc_jb);
    if (j == 1) {
        c->found_kind = c->phase; c->found_state = c->cur;
        if (c->phase == F_ERR_EXAMINE && c->level + 1 > c->depth) c->depth = c->level + 1;
        return R_FOUND;
    }
    if (j) return R_NOMEM;
    while (left) {
        left--;
        if (c->popped == c->n) return R_DONE;
        if (c->popped == c->level_end) { c->level++; c->level_end = c->n; }
        uint64_t d = c->level;
        if (d > c->depth) c->depth = d;
        V s;
        if (c->fp) { s = papc_load(c->q + c->qhead * PAPC_NBYTES); c->qhead++; }
        else s = papc_load(c->keys + c->popped * PAPC_NBYTES);
        uint32_t pidx = (uint32_t)c->popped;
        c->popped++;
        c->phase = F_ERR_EXPAND; c->cur = s;
#if PAPC_POR
        if (papc_por(c, s, pidx)) c->ample++;
        else { papc_nout = 0; papc_succ(s); c->full++; }
#else
        papc_nout = 0;
        papc_succ(s);
#endif
        c->transitions += papc_nout;
        if (papc_nout == 0 && c->check_deadlock && !papc_final(s)) {
            c->found_kind = F_DEADLOCK; c->found_state = s; return R_FOUND;
        }
        c->phase = F_ERR_EXAMINE;
        /* most successors were stored before: fetch their table slots, then the states the
           slots name, for all of them at once, so the cache misses overlap */
        size_t pre = papc_nout < 64 ? papc_nout : 64;
        uint64_t hs[64];
        for (size_t k = 0; k < pre; k++) {
            papc_out[k] = papc_canon(papc_out[k]);
            hs[k] = papc_hash(papc_out[k]);
            __builtin_prefetch(&c->tab[hs[k] & c->tmask]);
        }
        for (size_t k = 0; k < pre; k++) {
            uint64_t e = c->tab[hs[k] & c->tmask];
            uint64_t imask = c->ibits >= 32 ? 0xFFFFFFFFull : ((uint64_t)1 << c->ibits) - 1;
            if (e && (e >> c->ibits) == papc_tag(c, hs[k]))
                __builtin_prefetch(c->keys + ((e & imask) - 1) * c->keysz);
        }
        for (size_t k = 0; k < papc_nout; k++) {
            V t = k < pre ? papc_out[k] : papc_canon(papc_out[k]);
            int r = papc_insert(c, t, pidx);
            if (r < 0) return R_NOMEM;
            if (!r) continue;
            if (c->has_inv || c->pending) {
                c->cur = t;
                if (papc_examine(c, t, c->n - 1)) {
                    if (d + 1 > c->depth) c->depth = d + 1;
                    return R_FOUND;
                }
            }
        }
        if (c->max_states && c->n >= c->max_states) return R_MAXSTATES;
    }
    return R_CONTINUE;
}

/* n, transitions, depth, expanded, found kind, found property, pending, store bytes, queued,
   ample expansions, full expansions */
void papc_info(void *p, uint64_t *out) {
    papc_ctx *c = (papc_ctx *)p;
    out[0] = c->n; out[1] = c->transitions; out[2] = c->depth; out[3] = c->popped;
    out[4] = (uint64_t)c->found_kind; out[5] = (uint64_t)(int64_t)c->found_prop; out[6] = c->pending;
    out[7] = c->n * (c->keysz + 4) + (c->tmask + 1) * 4;
    /* a new state that failed a check is stored but was never queued (as in Python's loop);
       an initial state was queued before its check */
    int unqueued = (c->found_kind == F_INV || c->found_kind == F_ERR_EXAMINE) && c->popped > 0;
    out[8] = c->n - c->popped - (uint64_t)unqueued;
    out[9] = c->ample; out[10] = c->full;
}

void papc_found_state(void *p, uint64_t *out) { papc_put(((papc_ctx *)p)->found_state, out); }
int papc_witness(void *p, int prop, uint64_t *out) {
    papc_ctx *c = (papc_ctx *)p;
    if (c->witness[prop & 63] < 0) return 0;
    papc_put(c->witness_state[prop & 63], out);
    return 1;
}
void papc_canonical(uint64_t lo, uint64_t hi, uint64_t *out) { papc_put(papc_canon(papc_make(lo, hi)), out); }
void papc_state(void *p, uint64_t idx, uint64_t *out) {
    papc_put(papc_load(((papc_ctx *)p)->keys + idx * PAPC_NBYTES), out);
}
uint64_t papc_fingerprint(uint64_t lo, uint64_t hi) { return papc_hash(papc_make(lo, hi)); }
uint64_t papc_key(void *p, uint64_t idx) { return papc_key_hash((papc_ctx *)p, idx); }
int64_t papc_parent(void *p, uint64_t idx) {
    uint32_t x = ((papc_ctx *)p)->par[idx];
    return x == NO_PARENT ? -1 : (int64_t)x;
}
/* the index of the entry with this state (exact) or fingerprint (fingerprint store), or -1 */
int64_t papc_lookup(void *p, uint64_t lo, uint64_t hi, int by_fp) {
    papc_ctx *c = (papc_ctx *)p;
    V s = papc_make(lo, hi);
    uint64_t h = by_fp ? lo : papc_hash(s), i = h & c->tmask;
    uint64_t imask = c->ibits >= 32 ? 0xFFFFFFFFull : ((uint64_t)1 << c->ibits) - 1;
    for (;;) {
        uint64_t e = c->tab[i];
        if (!e) return -1;
        if ((e >> c->ibits) == papc_tag(c, h) && papc_same(c, (e & imask) - 1, s, h)) return (int64_t)(e & imask) - 1;
        i = (i + 1) & c->tmask;
    }
}
"""
