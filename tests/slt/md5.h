/*
** md5.h — MD5 message digest (RFC 1321) for the sqllogictest runner.
**
** The sqllogictest format compares large results by the MD5 of their values
** ("N values hashing to H"), so the runner needs MD5. This is an independent
** implementation written from the RFC text; it is test tooling, not part of
** the library, and is not meant for any security purpose.
**
**   SltMd5 m;
**   sltMd5Init(&m);
**   sltMd5Update(&m, data, n);        any number of times
**   sltMd5Hex(&m, hex);               hex: 32 lowercase digits + NUL
*/
#ifndef TDB_SLT_MD5_H
#define TDB_SLT_MD5_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct SltMd5 {
  uint32_t state[4];      /* the digest words A, B, C, D */
  uint64_t nbytes;        /* message length so far, in bytes */
  unsigned char buf[64];  /* a partial block: nbytes % 64 bytes are valid */
} SltMd5;

/* Start a new digest. */
void sltMd5Init(SltMd5 *m);

/* Append n bytes at data to the message (data may be NULL when n is 0). */
void sltMd5Update(SltMd5 *m, const void *data, size_t n);

/* Finish the digest: write the 16 digest bytes to out. *m must be
** re-initialized with sltMd5Init() before it is used again. */
void sltMd5Final(SltMd5 *m, unsigned char out[16]);

/* Finish the digest like sltMd5Final(), writing it as 32 lowercase hex digits
** and a terminating NUL to hex. */
void sltMd5Hex(SltMd5 *m, char hex[33]);

/* Check the implementation against the test suite of RFC 1321 (appendix
** A.5) plus a few messages that cross block boundaries. Prints one line per
** vector to `out` (may be NULL for silence) and sets *ntotal (if not NULL)
** to the number of vectors. Returns the number of failures (0 = all good). */
int sltMd5SelfTest(FILE *out, int *ntotal);

#endif /* TDB_SLT_MD5_H */
