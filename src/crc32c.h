/*
** crc32c.h — CRC-32C (Castagnoli) checksums for every WAL record, SSTable
** block, manifest record and footer.
**
** The polynomial is 0x1EDC6F41 (bit-reflected 0x82F63B78), initial value and
** final xor 0xFFFFFFFF: the variant iSCSI, ext4 and the SSE4.2 `crc32`
** instruction compute. crc32c("123456789") == 0xE3069283.
**
** All functions are pure (no state, thread-safe). The software path is a
** slice-by-8 table lookup; on x86-64 built with gcc or clang the SSE4.2
** instruction is used when the CPU has it (decided per call by
** __builtin_cpu_supports, no global state of ours). Define
** TDB_OMIT_CRC32C_HW to build only the software path.
*/
#ifndef TDB_CRC32C_H
#define TDB_CRC32C_H

#include "tdb_internal.h"

/* Most of this module's functions are used by the storage layers (WAL,
** SSTable, manifest) and the unit tests; while some build leaves one of them
** uncalled, TDB_MAYBE_UNUSED keeps the amalgamation (where TDB_PRIVATE is
** `static`) free of -Wunused-function warnings. */

/* The CRC-32C of data[0..n). */
TDB_PRIVATE TDB_MAYBE_UNUSED uint32_t tdbCrc32c(const void *data, size_t n);

/* Continue a checksum: `crc` is the finished CRC of some prefix (0 for the
** empty prefix); the result is the finished CRC of prefix || data[0..n).
** So tdbCrc32cExtend(tdbCrc32c(a, na), b, nb) == tdbCrc32c(a || b). */
TDB_PRIVATE TDB_MAYBE_UNUSED uint32_t tdbCrc32cExtend(uint32_t crc,
                                                      const void *data,
                                                      size_t n);

/* The portable table-driven implementation, same contract as
** tdbCrc32cExtend. tdbCrc32cExtend uses it when there is no hardware path;
** tests call it directly so it is checked on every machine. */
TDB_PRIVATE TDB_MAYBE_UNUSED uint32_t tdbCrc32cExtendSw(uint32_t crc,
                                                        const void *data,
                                                        size_t n);

/* 1 when tdbCrc32cExtend runs on the SSE4.2 instruction on this machine. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbCrc32cHasHw(void);

/* Masked CRCs: what to store when the stored bytes may themselves be covered
** by another CRC (see crc32c.c for why). Unmask(Mask(c)) == c. */
TDB_PRIVATE TDB_MAYBE_UNUSED uint32_t tdbCrc32cMask(uint32_t crc);
TDB_PRIVATE TDB_MAYBE_UNUSED uint32_t tdbCrc32cUnmask(uint32_t masked);

#endif /* TDB_CRC32C_H */
