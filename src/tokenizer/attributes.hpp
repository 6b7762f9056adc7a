// Function attributes shared by the tokenizer sources.
#pragma once

// Load-time code (parsing, validation, table building) runs once per model:
// optimized for size, and kept out of line, since the module's size matters
// more there than speed.
#if defined(__clang__)
#define ATTNSCOPE_TOKENIZER_COLD __attribute__((cold, minsize, noinline))
#elif defined(__GNUC__)
#define ATTNSCOPE_TOKENIZER_COLD __attribute__((cold, noinline))
#else
#define ATTNSCOPE_TOKENIZER_COLD
#endif
