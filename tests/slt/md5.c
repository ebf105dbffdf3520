/*
** md5.c — MD5 message digest (RFC 1321) for the sqllogictest runner.
**
** Written from the algorithm description in RFC 1321 section 3: the message
** is padded with a 1 bit, zeros, and its bit length as a 64-bit little-endian
** number to a multiple of 512 bits; each 512-bit block is mixed into the four
** 32-bit state words by 64 steps in four rounds (functions F, G, H, I).
** Words are little-endian throughout, independent of the host's byte order.
*/
#include "md5.h"

#include <string.h>

/* T[i] = floor(2^32 * |sin(i + 1)|), the additive constants of RFC 1321 3.4. */
static const uint32_t kT[64] = {
  0xd76aa478u, 0xe8c7b756u, 0x242070dbu, 0xc1bdceeeu,
  0xf57c0fafu, 0x4787c62au, 0xa8304613u, 0xfd469501u,
  0x698098d8u, 0x8b44f7afu, 0xffff5bb1u, 0x895cd7beu,
  0x6b901122u, 0xfd987193u, 0xa679438eu, 0x49b40821u,
  0xf61e2562u, 0xc040b340u, 0x265e5a51u, 0xe9b6c7aau,
  0xd62f105du, 0x02441453u, 0xd8a1e681u, 0xe7d3fbc8u,
  0x21e1cde6u, 0xc33707d6u, 0xf4d50d87u, 0x455a14edu,
  0xa9e3e905u, 0xfcefa3f8u, 0x676f02d9u, 0x8d2a4c8au,
  0xfffa3942u, 0x8771f681u, 0x6d9d6122u, 0xfde5380cu,
  0xa4beea44u, 0x4bdecfa9u, 0xf6bb4b60u, 0xbebfbc70u,
  0x289b7ec6u, 0xeaa127fau, 0xd4ef3085u, 0x04881d05u,
  0xd9d4d039u, 0xe6db99e5u, 0x1fa27cf8u, 0xc4ac5665u,
  0xf4292244u, 0x432aff97u, 0xab9423a7u, 0xfc93a039u,
  0x655b59c3u, 0x8f0ccc92u, 0xffeff47du, 0x85845dd1u,
  0x6fa87e4fu, 0xfe2ce6e0u, 0xa3014314u, 0x4e0811a1u,
  0xf7537e82u, 0xbd3af235u, 0x2ad7d2bbu, 0xeb86d391u,
};

/* Left-rotation amounts: four per round, used cyclically within the round. */
static const unsigned kShift[4][4] = {
  {7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21},
};

static uint32_t rotl32(uint32_t x, unsigned n) {
  return (x << n) | (x >> (32u - n));
}

/* Mix one 64-byte block into the state (RFC 1321 3.4). */
static void md5Block(uint32_t st[4], const unsigned char *p) {
  uint32_t x[16];
  uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
  int i;
  for (i = 0; i < 16; i++) {
    x[i] = (uint32_t)p[4 * i] | ((uint32_t)p[4 * i + 1] << 8) |
           ((uint32_t)p[4 * i + 2] << 16) | ((uint32_t)p[4 * i + 3] << 24);
  }
  for (i = 0; i < 64; i++) {
    int round = i / 16;
    uint32_t f, t;
    int k; /* which message word this step reads */
    switch (round) {
      case 0: f = (b & c) | (~b & d); k = i; break;                 /* F */
      case 1: f = (b & d) | (c & ~d); k = (5 * i + 1) % 16; break;  /* G */
      case 2: f = b ^ c ^ d; k = (3 * i + 5) % 16; break;           /* H */
      default: f = c ^ (b | ~d); k = (7 * i) % 16; break;           /* I */
    }
    t = a + f + x[k] + kT[i];
    a = d;
    d = c;
    c = b;
    b = b + rotl32(t, kShift[round][i % 4]);
  }
  st[0] += a;
  st[1] += b;
  st[2] += c;
  st[3] += d;
}

void sltMd5Init(SltMd5 *m) {
  /* RFC 1321 3.3: A = 01 23 45 67, B = 89 ab cd ef, ... (low byte first) */
  m->state[0] = 0x67452301u;
  m->state[1] = 0xefcdab89u;
  m->state[2] = 0x98badcfeu;
  m->state[3] = 0x10325476u;
  m->nbytes = 0;
  memset(m->buf, 0, sizeof m->buf);
}

void sltMd5Update(SltMd5 *m, const void *data, size_t n) {
  const unsigned char *p = (const unsigned char *)data;
  size_t have = (size_t)(m->nbytes % 64);
  if (n == 0) return;
  m->nbytes += n;
  if (have > 0) {
    size_t take = 64 - have;
    if (take > n) take = n;
    memcpy(m->buf + have, p, take);
    have += take;
    p += take;
    n -= take;
    if (have < 64) return;
    md5Block(m->state, m->buf);
  }
  while (n >= 64) {
    md5Block(m->state, p);
    p += 64;
    n -= 64;
  }
  if (n > 0) memcpy(m->buf, p, n);
}

void sltMd5Final(SltMd5 *m, unsigned char out[16]) {
  unsigned char tail[72];
  uint64_t bits = m->nbytes * 8u;
  size_t have = (size_t)(m->nbytes % 64);
  /* pad to 56 mod 64: a 0x80 byte, then zeros (1..64 bytes in all) */
  size_t pad = (have < 56) ? 56 - have : 120 - have;
  int i;
  memset(tail, 0, sizeof tail);
  tail[0] = 0x80;
  for (i = 0; i < 8; i++) tail[pad + (size_t)i] = (unsigned char)(bits >> (8 * i));
  sltMd5Update(m, tail, pad + 8);
  for (i = 0; i < 4; i++) {
    out[4 * i] = (unsigned char)m->state[i];
    out[4 * i + 1] = (unsigned char)(m->state[i] >> 8);
    out[4 * i + 2] = (unsigned char)(m->state[i] >> 16);
    out[4 * i + 3] = (unsigned char)(m->state[i] >> 24);
  }
}

void sltMd5Hex(SltMd5 *m, char hex[33]) {
  static const char digits[] = "0123456789abcdef";
  unsigned char d[16];
  int i;
  sltMd5Final(m, d);
  for (i = 0; i < 16; i++) {
    hex[2 * i] = digits[d[i] >> 4];
    hex[2 * i + 1] = digits[d[i] & 15];
  }
  hex[32] = '\0';
}

/* One test vector: `repeat` copies of `msg`, and the expected digest. */
typedef struct Md5Vector {
  const char *msg;
  int repeat;
  const char *hex;
} Md5Vector;

int sltMd5SelfTest(FILE *out, int *ntotal) {
  static const Md5Vector vec[] = {
    /* RFC 1321, appendix A.5 */
    {"", 1, "d41d8cd98f00b204e9800998ecf8427e"},
    {"a", 1, "0cc175b9c0f1b6a831c399e269772661"},
    {"abc", 1, "900150983cd24fb0d6963f7d28e17f72"},
    {"message digest", 1, "f96b697d7cb7938d525a2f31aaf161d0"},
    {"abcdefghijklmnopqrstuvwxyz", 1, "c3fcd3d76192e4007dfb496cca67e13b"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 1,
     "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"1234567890", 8, "57edf4a22be3c955ac49da2e2107b67a"},
    /* padding edge cases around the 56- and 64-byte boundaries */
    {"a", 55, "ef1772b6dff9a122358552954ad0df65"},
    {"a", 56, "3b0c8ac703f828b04c6c197006d17218"},
    {"a", 63, "b06521f39153d618550606be297466d5"},
    {"a", 64, "014842d480b571495a4a0363793f7367"},
    {"a", 65, "c743a45e0d2e6a95cb859adae0248435"},
    {"a", 1000, "cabe45dcc9ae5b66ba86600cca6b8ba8"},
    {"The quick brown fox jumps over the lazy dog", 1,
     "9e107d9d372bb6826bd81d3542a419d6"},
  };
  int nfail = 0;
  size_t i;
  if (ntotal) *ntotal = (int)(sizeof vec / sizeof vec[0]);
  for (i = 0; i < sizeof vec / sizeof vec[0]; i++) {
    SltMd5 m;
    char hex[33];
    int r;
    sltMd5Init(&m);
    /* feed in pieces of the given message, so that partial blocks are used */
    for (r = 0; r < vec[i].repeat; r++) sltMd5Update(&m, vec[i].msg, strlen(vec[i].msg));
    sltMd5Hex(&m, hex);
    if (strcmp(hex, vec[i].hex) != 0) nfail++;
    if (out) {
      fprintf(out, "%s - md5(%d x \"%.20s%s\") = %s%s%s\n",
              strcmp(hex, vec[i].hex) == 0 ? "ok" : "FAIL", vec[i].repeat,
              vec[i].msg, strlen(vec[i].msg) > 20 ? "..." : "", hex,
              strcmp(hex, vec[i].hex) == 0 ? "" : ", expected ",
              strcmp(hex, vec[i].hex) == 0 ? "" : vec[i].hex);
    }
  }
  return nfail;
}
