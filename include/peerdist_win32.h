/*
 * peerdist_win32.h: the Win32 types and constants that the PeerDist API and a typical program
 * using it need, with the Windows names, values and struct layouts (Windows x64 / LLP64).
 *
 * Plain C (C99 or later) and C++. It defines no functions; the Win32 calls are declared in
 * <peerdist_compat.h>, which includes this header.
 *
 * Sizes follow Windows, not the Linux C types: Windows' `long` is 32-bit, so DWORD, LONG and
 * ULONG are 32-bit here even though `long` is 64-bit on Linux. Pointer-sized types (HANDLE,
 * ULONG_PTR) are 8 bytes on x86-64 as on Windows x64.
 *
 * Every macro is defined only if not already defined, so this header can sit beside other
 * headers that define TRUE/FALSE and the like.
 */
#ifndef PEERDIST_WIN32_H
#define PEERDIST_WIN32_H

/* A C header with Windows names and macros by design; the C++ checks of .clang-tidy do not
 * apply. NOLINTBEGIN */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Casts in macros: C++ code built with -Wold-style-cast must be able to use these macros, so
 * C++ gets the named casts and C the plain ones. Internal; not part of the Win32 surface. */
#ifdef __cplusplus
#define PEERDIST_WIN32_CAST_(type, value) (static_cast<type>(value))
#define PEERDIST_WIN32_PTR_CAST_(type, value) (reinterpret_cast<type>(value))
#else
#define PEERDIST_WIN32_CAST_(type, value) ((type)(value))
#define PEERDIST_WIN32_PTR_CAST_(type, value) ((type)(value))
#endif

/* ---- Calling convention ------------------------------------------------------------------ */
/* __stdcall means nothing on x86-64 (Windows x64 too has one convention); empty on Linux. */
#ifndef WINAPI
#define WINAPI
#endif
#ifndef CALLBACK
#define CALLBACK
#endif

/* ---- Basic types ------------------------------------------------------------------------- */
typedef unsigned char BYTE;
typedef uint16_t WORD;
typedef uint32_t DWORD; /* Windows: unsigned long, 32-bit */
typedef int32_t BOOL;   /* Windows: int */
typedef int32_t INT;
typedef uint32_t UINT;
typedef int32_t LONG;   /* Windows: long, 32-bit */
typedef uint32_t ULONG; /* Windows: unsigned long, 32-bit */
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG;
typedef intptr_t LONG_PTR;
typedef uintptr_t ULONG_PTR;
typedef uintptr_t DWORD_PTR;
typedef size_t SIZE_T;

typedef BYTE* PBYTE;
typedef BYTE* LPBYTE;
typedef DWORD* PDWORD;
typedef DWORD* LPDWORD;
typedef ULONG_PTR* PULONG_PTR;
typedef BOOL* PBOOL;
typedef BOOL* LPBOOL;
typedef void* PVOID;
typedef void* LPVOID;
typedef const void* LPCVOID;

typedef void* HANDLE;
typedef HANDLE* PHANDLE;
typedef HANDLE* LPHANDLE;

/* Characters. CHAR is char. WCHAR is a UTF-16 code unit: Windows' wchar_t is 16 bits, but
 * Linux's is 32 bits, so WCHAR is a 16-bit unsigned integer (the size and representation of
 * char16_t), never wchar_t. A Windows program's L"..." literals therefore do not convert to
 * LPCWSTR on Linux; in C11 use u"..." (char16_t is uint_least16_t, the same type). */
typedef char CHAR;
typedef uint16_t WCHAR;
typedef CHAR* LPSTR;
typedef const CHAR* LPCSTR;
typedef WCHAR* LPWSTR;
typedef const WCHAR* LPCWSTR;

#ifndef VOID
#define VOID void
#endif
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/* INVALID_HANDLE_VALUE is (HANDLE)-1, as on Windows. */
#ifndef INVALID_HANDLE_VALUE
#define INVALID_HANDLE_VALUE PEERDIST_WIN32_PTR_CAST_(HANDLE, PEERDIST_WIN32_CAST_(LONG_PTR, -1))
#endif

/* ---- Word macros (minwindef.h) ----------------------------------------------------------- */
#ifndef MAKEWORD
#define MAKEWORD(a, b)                                                                            \
  PEERDIST_WIN32_CAST_(                                                                           \
      WORD, PEERDIST_WIN32_CAST_(BYTE, PEERDIST_WIN32_CAST_(DWORD_PTR, a) & 0xffu) |              \
                PEERDIST_WIN32_CAST_(                                                             \
                    WORD, PEERDIST_WIN32_CAST_(BYTE, PEERDIST_WIN32_CAST_(DWORD_PTR, b) & 0xffu)) \
                    << 8)
#endif
#ifndef MAKELONG
#define MAKELONG(a, b)                                                                         \
  PEERDIST_WIN32_CAST_(                                                                        \
      LONG,                                                                                    \
      PEERDIST_WIN32_CAST_(WORD, PEERDIST_WIN32_CAST_(DWORD_PTR, a) & 0xffffu) |               \
          PEERDIST_WIN32_CAST_(                                                                \
              DWORD, PEERDIST_WIN32_CAST_(WORD, PEERDIST_WIN32_CAST_(DWORD_PTR, b) & 0xffffu)) \
              << 16)
#endif
#ifndef LOWORD
#define LOWORD(l) PEERDIST_WIN32_CAST_(WORD, PEERDIST_WIN32_CAST_(DWORD_PTR, l) & 0xffffu)
#endif
#ifndef HIWORD
#define HIWORD(l) PEERDIST_WIN32_CAST_(WORD, (PEERDIST_WIN32_CAST_(DWORD_PTR, l) >> 16) & 0xffffu)
#endif
#ifndef LOBYTE
#define LOBYTE(w) PEERDIST_WIN32_CAST_(BYTE, PEERDIST_WIN32_CAST_(DWORD_PTR, w) & 0xffu)
#endif
#ifndef HIBYTE
#define HIBYTE(w) PEERDIST_WIN32_CAST_(BYTE, (PEERDIST_WIN32_CAST_(DWORD_PTR, w) >> 8) & 0xffu)
#endif

/* ---- Waits ------------------------------------------------------------------------------- */
#ifndef INFINITE
#define INFINITE 0xFFFFFFFF
#endif
#ifndef WAIT_OBJECT_0
#define WAIT_OBJECT_0 PEERDIST_WIN32_CAST_(DWORD, 0x00000000)
#endif
#ifndef WAIT_FAILED
#define WAIT_FAILED PEERDIST_WIN32_CAST_(DWORD, 0xFFFFFFFF)
#endif
/* WAIT_TIMEOUT (258) is both a wait result and an error code; it is defined with the error
 * codes below. */

/* OVERLAPPED.Internal while an operation is in flight (an NTSTATUS on Windows). */
#ifndef STATUS_PENDING
#define STATUS_PENDING PEERDIST_WIN32_CAST_(DWORD, 0x00000103)
#endif

/* ---- Structures -------------------------------------------------------------------------- */

/* OVERLAPPED, with the Windows layout (x64: 32 bytes; Internal @0, InternalHigh @8,
 * Offset/OffsetHigh or Pointer @16, hEvent @24). The union and the struct inside it are
 * anonymous, as in the Windows SDK, so code writes ov.Offset and ov.Pointer. Anonymous structs
 * are C11 but not C99 or ISO C++; __extension__ keeps GCC and clang quiet under -pedantic.
 * Internal holds the completion status (a Win32 error code in this implementation; see
 * spec §1.2) and InternalHigh the bytes transferred. */
typedef struct _OVERLAPPED {
  ULONG_PTR Internal;
  ULONG_PTR InternalHigh;
  __extension__ union {
    __extension__ struct {
      DWORD Offset;
      DWORD OffsetHigh;
    };
    PVOID Pointer;
  };
  HANDLE hEvent;
} OVERLAPPED, *LPOVERLAPPED;

/* Accepted by CreateEvent and ignored: there are no security descriptors or inheritable
 * handles here. Same layout as Windows. */
typedef struct _SECURITY_ATTRIBUTES {
  DWORD nLength;
  LPVOID lpSecurityDescriptor;
  BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

#ifndef HasOverlappedIoCompleted
#define HasOverlappedIoCompleted(lpOverlapped) \
  (PEERDIST_WIN32_CAST_(DWORD, (lpOverlapped)->Internal) != STATUS_PENDING)
#endif

/* Layout checks: a program built for Windows relies on these offsets. */
#if defined(__cplusplus)
#define PEERDIST_WIN32_CHECK_(name, cond) static_assert(cond, #name)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define PEERDIST_WIN32_CHECK_(name, cond) _Static_assert(cond, #name)
#else
#define PEERDIST_WIN32_CHECK_(name, cond) typedef char peerdist_win32_check_##name[(cond) ? 1 : -1]
#endif
PEERDIST_WIN32_CHECK_(dword_is_32_bits, sizeof(DWORD) == 4);
PEERDIST_WIN32_CHECK_(bool_is_32_bits, sizeof(BOOL) == 4);
PEERDIST_WIN32_CHECK_(long_is_32_bits, sizeof(LONG) == 4);
PEERDIST_WIN32_CHECK_(wchar_is_16_bits, sizeof(WCHAR) == 2);
PEERDIST_WIN32_CHECK_(handle_is_pointer_sized, sizeof(HANDLE) == sizeof(ULONG_PTR));
PEERDIST_WIN32_CHECK_(overlapped_internal_high,
                      offsetof(OVERLAPPED, InternalHigh) == sizeof(ULONG_PTR));
PEERDIST_WIN32_CHECK_(overlapped_offset, offsetof(OVERLAPPED, Offset) == 2 * sizeof(ULONG_PTR));
PEERDIST_WIN32_CHECK_(overlapped_offset_high,
                      offsetof(OVERLAPPED, OffsetHigh) == 2 * sizeof(ULONG_PTR) + 4);
PEERDIST_WIN32_CHECK_(overlapped_pointer, offsetof(OVERLAPPED, Pointer) == 2 * sizeof(ULONG_PTR));
PEERDIST_WIN32_CHECK_(overlapped_event, offsetof(OVERLAPPED, hEvent) == 2 * sizeof(ULONG_PTR) + 8);
PEERDIST_WIN32_CHECK_(overlapped_size, sizeof(OVERLAPPED) == (sizeof(void*) == 8 ? 32 : 20));
#undef PEERDIST_WIN32_CHECK_

/* ---- Error codes (winerror.h values) ----------------------------------------------------- */
/* Plain int literals: Windows writes them as 32-bit longs, and an int literal is the Linux type
 * with that range, so comparisons with DWORD compile cleanly under -Wsign-compare. */
#ifndef ERROR_SUCCESS
#define ERROR_SUCCESS 0
#endif
#ifndef NO_ERROR
#define NO_ERROR 0
#endif
#ifndef ERROR_FILE_NOT_FOUND
#define ERROR_FILE_NOT_FOUND 2
#endif
#ifndef ERROR_TOO_MANY_OPEN_FILES
#define ERROR_TOO_MANY_OPEN_FILES 4
#endif
#ifndef ERROR_ACCESS_DENIED
#define ERROR_ACCESS_DENIED 5
#endif
#ifndef ERROR_INVALID_HANDLE
#define ERROR_INVALID_HANDLE 6
#endif
#ifndef ERROR_INVALID_DATA
#define ERROR_INVALID_DATA 13
#endif
#ifndef ERROR_NOT_ENOUGH_MEMORY
#define ERROR_NOT_ENOUGH_MEMORY 8
#endif
#ifndef ERROR_INVALID_PARAMETER
#define ERROR_INVALID_PARAMETER 87
#endif
#ifndef ERROR_INSUFFICIENT_BUFFER
#define ERROR_INSUFFICIENT_BUFFER 122
#endif
#ifndef WAIT_TIMEOUT
#define WAIT_TIMEOUT 258
#endif
#ifndef ERROR_ABANDONED_WAIT_0
#define ERROR_ABANDONED_WAIT_0 735
#endif
#ifndef ERROR_OPERATION_ABORTED
#define ERROR_OPERATION_ABORTED 995
#endif
#ifndef ERROR_IO_INCOMPLETE
#define ERROR_IO_INCOMPLETE 996
#endif
#ifndef ERROR_IO_PENDING
#define ERROR_IO_PENDING 997
#endif
#ifndef ERROR_NOT_FOUND
#define ERROR_NOT_FOUND 1168
#endif
#ifndef ERROR_ACCESS_DISABLED_BY_POLICY
#define ERROR_ACCESS_DISABLED_BY_POLICY 1260
#endif
#ifndef ERROR_TIMEOUT
#define ERROR_TIMEOUT 1460
#endif

/* PeerDist codes (spec §3.6). */
#ifndef PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED
#define PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED 4050
#endif
#ifndef PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO
#define PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO 4051
#endif
#ifndef PEERDIST_ERROR_MISSING_DATA
#define PEERDIST_ERROR_MISSING_DATA 4052
#endif
#ifndef PEERDIST_ERROR_NO_MORE
#define PEERDIST_ERROR_NO_MORE 4053
#endif
#ifndef PEERDIST_ERROR_NOT_INITIALIZED
#define PEERDIST_ERROR_NOT_INITIALIZED 4054
#endif
#ifndef PEERDIST_ERROR_ALREADY_INITIALIZED
#define PEERDIST_ERROR_ALREADY_INITIALIZED 4055
#endif
#ifndef PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS
#define PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS 4056
#endif
#ifndef PEERDIST_ERROR_INVALIDATED
#define PEERDIST_ERROR_INVALIDATED 4057
#endif
#ifndef PEERDIST_ERROR_ALREADY_EXISTS
#define PEERDIST_ERROR_ALREADY_EXISTS 4058
#endif
#ifndef PEERDIST_ERROR_OPERATION_NOTFOUND
#define PEERDIST_ERROR_OPERATION_NOTFOUND 4059
#endif
#ifndef PEERDIST_ERROR_ALREADY_COMPLETED
#define PEERDIST_ERROR_ALREADY_COMPLETED 4060
#endif
#ifndef PEERDIST_ERROR_OUT_OF_BOUNDS
#define PEERDIST_ERROR_OUT_OF_BOUNDS 4061
#endif
#ifndef PEERDIST_ERROR_VERSION_UNSUPPORTED
#define PEERDIST_ERROR_VERSION_UNSUPPORTED 4062
#endif
#ifndef PEERDIST_ERROR_INVALID_CONFIGURATION
#define PEERDIST_ERROR_INVALID_CONFIGURATION 4063
#endif
#ifndef PEERDIST_ERROR_NOT_LICENSED
#define PEERDIST_ERROR_NOT_LICENSED 4064
#endif
#ifndef PEERDIST_ERROR_SERVICE_UNAVAILABLE
#define PEERDIST_ERROR_SERVICE_UNAVAILABLE 4065
#endif
#ifndef PEERDIST_ERROR_TRUST_FAILURE
#define PEERDIST_ERROR_TRUST_FAILURE 4066
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

/* NOLINTEND */
#endif /* PEERDIST_WIN32_H */
