/*
 * libsrtp2 behind a line protocol, for the SRTP cross-check of `cargo xtask interop srtp`
 * (driven by crates/rtc-srtp/examples/srtp_crosscheck.rs).
 *
 * Build: gcc -O2 -Wall -Wextra -o srtp-harness harness.c $(pkg-config --cflags --libs libsrtp2)
 *
 * One command per line on stdin, one answer per line on stdout; bytes are lowercase hex:
 *
 *   version                                  ok <libsrtp version string>
 *   session <id> <profile> <in|out> <hex> [rtcp-auth-only]     ok | err <status>
 *       A libsrtp session (slot id 0..63, replacing what was there) for the DTLS-SRTP profile
 *       <profile> (1, 2, 7 or 8), with the master key||salt <hex>, a wildcard SSRC
 *       (ssrc_any_outbound for `out`, ssrc_any_inbound for `in`), a 1024-packet replay window
 *       and allow_repeat_tx 0. With `rtcp-auth-only`, SRTCP is authenticated but not
 *       encrypted (E flag 0; RFC 3711 §3.4, RFC 7714 §9.3).
 *   protect_rtp <id> <hex>                   ok <hex> | err <status>
 *   unprotect_rtp <id> <hex>                 ok <hex> | err <status>
 *   protect_rtcp <id> <hex>                  ok <hex> | err <status>
 *   unprotect_rtcp <id> <hex>                ok <hex> | err <status>
 *   roc <id> <ssrc, decimal>                 ok <roc, decimal> | err <status>
 *
 * <status> is libsrtp's srtp_err_status_t (7 auth_fail, 9 replay_fail, 10 replay_old, ...);
 * a malformed command is answered `err -1 <reason>`. The harness exits at the end of stdin.
 */
#include <srtp2/srtp.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SESSIONS 64
#define MAX_PACKET 8192
#define MAX_LINE (2 * (MAX_PACKET + SRTP_MAX_TRAILER_LEN) + 256)

static srtp_t sessions[MAX_SESSIONS];
static char line[MAX_LINE];
static char out_hex[2 * (MAX_PACKET + SRTP_MAX_TRAILER_LEN) + 1];
static uint8_t buf[MAX_PACKET + SRTP_MAX_TRAILER_LEN];

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes `hex` into `out` (at most `max` bytes); the length, or -1. */
static int from_hex(const char *hex, uint8_t *out, size_t max) {
    size_t n = strlen(hex);
    if (n % 2 != 0 || n / 2 > max) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (int)(n / 2);
}

static void reply_hex(const uint8_t *data, int len) {
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < len; i++) {
        out_hex[2 * i] = digits[data[i] >> 4];
        out_hex[2 * i + 1] = digits[data[i] & 15];
    }
    out_hex[2 * len] = '\0';
    printf("ok %s\n", out_hex);
}

static void reply_usage(const char *reason) { printf("err -1 %s\n", reason); }

/* The policies of a DTLS-SRTP profile, set by hand (RFC 5764 §4.1.2, RFC 7714 §14.2): the _32
 * profile has a 32-bit tag on SRTP and an 80-bit one on SRTCP. Returns the key||salt length. */
static int set_policies(int profile, srtp_policy_t *policy) {
    switch (profile) {
    case 1:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp);
        return SRTP_AES_ICM_128_KEY_LEN_WSALT;
    case 2:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp);
        return SRTP_AES_ICM_128_KEY_LEN_WSALT;
    case 7:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtcp);
        return SRTP_AES_GCM_128_KEY_LEN_WSALT;
    case 8:
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy->rtp);
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy->rtcp);
        return SRTP_AES_GCM_256_KEY_LEN_WSALT;
    default:
        return -1;
    }
}

static int parse_id(const char *text) {
    if (text == NULL) return -1;
    char *end;
    long id = strtol(text, &end, 10);
    if (*end != '\0' || id < 0 || id >= MAX_SESSIONS) return -1;
    return (int)id;
}

static void cmd_session(char *save) {
    int id = parse_id(strtok_r(NULL, " ", &save));
    const char *profile_text = strtok_r(NULL, " ", &save);
    const char *direction = strtok_r(NULL, " ", &save);
    const char *key_hex = strtok_r(NULL, " ", &save);
    const char *option = strtok_r(NULL, " ", &save);
    if (option != NULL && strcmp(option, "rtcp-auth-only") != 0) {
        reply_usage("the only option is rtcp-auth-only");
        return;
    }
    if (id < 0 || profile_text == NULL || direction == NULL || key_hex == NULL) {
        reply_usage("usage: session <id> <profile> <in|out> <hex key||salt>");
        return;
    }
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    int key_len = set_policies(atoi(profile_text), &policy);
    if (key_len < 0) {
        reply_usage("unknown profile");
        return;
    }
    uint8_t key[SRTP_MAX_KEY_LEN];
    if (from_hex(key_hex, key, sizeof key) != key_len) {
        reply_usage("wrong key||salt length for the profile");
        return;
    }
    if (strcmp(direction, "out") == 0) {
        policy.ssrc.type = ssrc_any_outbound;
    } else if (strcmp(direction, "in") == 0) {
        policy.ssrc.type = ssrc_any_inbound;
    } else {
        reply_usage("direction must be in or out");
        return;
    }
    if (option != NULL) {
        policy.rtcp.sec_serv = sec_serv_auth;
    }
    policy.key = key;
    policy.window_size = 1024;
    policy.allow_repeat_tx = 0;
    policy.next = NULL;
    if (sessions[id] != NULL) {
        srtp_dealloc(sessions[id]);
        sessions[id] = NULL;
    }
    srtp_err_status_t status = srtp_create(&sessions[id], &policy);
    if (status != srtp_err_status_ok) {
        sessions[id] = NULL;
        printf("err %d\n", (int)status);
        return;
    }
    printf("ok\n");
}

typedef srtp_err_status_t (*packet_fn)(srtp_t, void *, int *);

static void cmd_packet(packet_fn fn, char *save) {
    int id = parse_id(strtok_r(NULL, " ", &save));
    const char *hex = strtok_r(NULL, " ", &save);
    if (id < 0 || hex == NULL) {
        reply_usage("usage: <op> <id> <hex>");
        return;
    }
    if (sessions[id] == NULL) {
        reply_usage("no such session");
        return;
    }
    int len = from_hex(hex, buf, MAX_PACKET);
    if (len < 0) {
        reply_usage("bad hex or packet too long");
        return;
    }
    srtp_err_status_t status = fn(sessions[id], buf, &len);
    if (status != srtp_err_status_ok) {
        printf("err %d\n", (int)status);
        return;
    }
    reply_hex(buf, len);
}

static void cmd_roc(char *save) {
    int id = parse_id(strtok_r(NULL, " ", &save));
    const char *ssrc_text = strtok_r(NULL, " ", &save);
    if (id < 0 || ssrc_text == NULL || sessions[id] == NULL) {
        reply_usage("usage: roc <id> <ssrc>");
        return;
    }
    uint32_t roc = 0;
    srtp_err_status_t status =
        srtp_get_stream_roc(sessions[id], (uint32_t)strtoul(ssrc_text, NULL, 10), &roc);
    if (status != srtp_err_status_ok) {
        printf("err %d\n", (int)status);
        return;
    }
    printf("ok %u\n", roc);
}

int main(void) {
    srtp_err_status_t status = srtp_init();
    if (status != srtp_err_status_ok) {
        fprintf(stderr, "srtp_init failed: %d\n", (int)status);
        return 1;
    }
    while (fgets(line, sizeof line, stdin) != NULL) {
        size_t n = strlen(line);
        if (n > 0 && line[n - 1] != '\n' && !feof(stdin)) {
            reply_usage("line too long");
            int c;
            while ((c = getchar()) != EOF && c != '\n') {
            }
            fflush(stdout);
            continue;
        }
        line[strcspn(line, "\r\n")] = '\0';
        char *save = NULL;
        const char *op = strtok_r(line, " ", &save);
        if (op == NULL) {
            reply_usage("empty line");
        } else if (strcmp(op, "version") == 0) {
            printf("ok %s\n", srtp_get_version_string());
        } else if (strcmp(op, "session") == 0) {
            cmd_session(save);
        } else if (strcmp(op, "protect_rtp") == 0) {
            cmd_packet(srtp_protect, save);
        } else if (strcmp(op, "unprotect_rtp") == 0) {
            cmd_packet(srtp_unprotect, save);
        } else if (strcmp(op, "protect_rtcp") == 0) {
            cmd_packet(srtp_protect_rtcp, save);
        } else if (strcmp(op, "unprotect_rtcp") == 0) {
            cmd_packet(srtp_unprotect_rtcp, save);
        } else if (strcmp(op, "roc") == 0) {
            cmd_roc(save);
        } else {
            reply_usage("unknown command");
        }
        fflush(stdout);
    }
    for (int i = 0; i < MAX_SESSIONS; i++) {
        if (sessions[i] != NULL) srtp_dealloc(sessions[i]);
    }
    srtp_shutdown();
    return 0;
}
