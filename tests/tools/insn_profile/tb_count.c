/* A QEMU TCG plugin that counts how often every translated block runs.
 *
 * QEMU loads it with `-plugin tb_count.so` and calls qemu_plugin_install.
 * Each translation gets a record {guest address, instructions, runs}; an
 * inline add (no callback, so no slowdown from leaving generated code)
 * counts its runs. At exit the records that ran are written to the file
 * named by $MYRIAD_TB_COUNT_OUT as "address instructions runs" lines.
 * tests/tools/insn_profile.py turns two such files into instructions per
 * operation per kernel function.
 *
 * Debian packages QEMU without its plugin header, so the few entry points
 * used here are declared from the plugin ABI QEMU 7.2 exports (version 1). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
typedef struct qemu_info_t qemu_info_t;
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
                                              uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

struct block {
    uint64_t address;
    uint64_t instructions;
    uint64_t runs;
};

/* Records are never freed or moved while QEMU runs: generated code points
 * at their counters. */
enum { CHUNK = 65536 };
static struct block *chunk;
static size_t used = CHUNK;
static struct block **chunks;
static size_t nchunks;

static struct block *new_block(void)
{
    if (used == CHUNK) {
        chunk = calloc(CHUNK, sizeof *chunk);
        chunks = realloc(chunks, (nchunks + 1) * sizeof *chunks);
        if (!chunk || !chunks)
            abort();
        chunks[nchunks++] = chunk;
        used = 0;
    }
    return &chunk[used++];
}

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    struct block *b = new_block();
    b->address = qemu_plugin_tb_vaddr(tb);
    b->instructions = qemu_plugin_tb_n_insns(tb);
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->runs, 1);
}

static void finished(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    const char *path = getenv("MYRIAD_TB_COUNT_OUT");
    FILE *out = path ? fopen(path, "w") : stderr;
    if (!out)
        return;
    for (size_t c = 0; c < nchunks; c++) {
        size_t n = c + 1 == nchunks ? used : CHUNK;
        for (size_t i = 0; i < n; i++)
            if (chunks[c][i].runs)
                fprintf(out, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n", chunks[c][i].address,
                        chunks[c][i].instructions, chunks[c][i].runs);
    }
    if (out != stderr)
        fclose(out);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv)
{
    (void)info;
    (void)argc;
    (void)argv;
    qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
    qemu_plugin_register_atexit_cb(id, finished, NULL);
    return 0;
}
