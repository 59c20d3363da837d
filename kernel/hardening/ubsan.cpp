// Kernel UBSan: the handlers GCC's -fsanitize=undefined calls when a check
// fails (the interface of libsanitizer's ubsan_handlers.h, which a
// freestanding kernel must provide itself, as Linux's lib/ubsan.c does).
// Each prints the kind of undefined behaviour, file:line:column and the
// values involved, then panics; `ubsan=warn` on the command line prints
// each place once and carries on instead (to see every report of a run).
#include "kernel/boot.hpp"
#include "kernel/hardening/report.hpp"

namespace {

struct SourceLocation {
    const char* file;
    u32 line;
    u32 column; // set to ~0 once reported in warn mode
};

// Kind 0: integer, info = log2(bit width) << 1 | signed. The name is quoted.
struct TypeDescriptor {
    u16 kind;
    u16 info;
    char name[1];
};

struct OverflowData {
    SourceLocation location;
    const TypeDescriptor* type;
};
struct ShiftOutOfBoundsData {
    SourceLocation location;
    const TypeDescriptor* lhs_type;
    const TypeDescriptor* rhs_type;
};
struct OutOfBoundsData {
    SourceLocation location;
    const TypeDescriptor* array_type;
    const TypeDescriptor* index_type;
};
struct TypeMismatchData {
    SourceLocation location;
    const TypeDescriptor* type;
    u8 log_alignment;
    u8 type_check_kind;
};
struct UnreachableData {
    SourceLocation location;
};
struct InvalidValueData {
    SourceLocation location;
    const TypeDescriptor* type;
};
struct NonNullArgData {
    SourceLocation location;
    SourceLocation attribute_location;
    int argument_index;
};
struct NonNullReturnData {
    SourceLocation attribute_location;
};
struct PointerOverflowData {
    SourceLocation location;
};
struct InvalidBuiltinData {
    SourceLocation location;
    u8 kind; // 0 ctz, 1 clz
};

using ValueHandle = uptr;

constexpr u16 TYPE_KIND_INTEGER = 0;

bool is_signed(const TypeDescriptor* t) { return t->kind == TYPE_KIND_INTEGER && (t->info & 1); }
unsigned bit_width(const TypeDescriptor* t) { return t->kind == TYPE_KIND_INTEGER ? 1u << (t->info >> 1) : 0; }

// An integer operand, as the handler got it: inline when it fits a pointer,
// else a pointer to it (128-bit types).
struct Value {
    const TypeDescriptor* type;
    ValueHandle handle;
};

void format_value(lib::FormatSink& sink, const lib::FormatSpec&, const Value& v)
{
    unsigned width = bit_width(v.type);
    if (width == 0 || width > 64) {
        lib::format(sink, "<{}-bit value>", width);
        return;
    }
    if (is_signed(v.type)) {
        i64 x = i64(v.handle << (64 - width)) >> (64 - width); // sign-extend from width
        lib::format(sink, "{}", x);
    } else {
        lib::format(sink, "{}", u64(v.handle));
    }
}

bool is_negative(const Value& v)
{
    unsigned width = bit_width(v.type);
    return is_signed(v.type) && width > 0 && width <= 64 && ((v.handle >> (width - 1)) & 1);
}

const char* type_name(const TypeDescriptor* t) { return t ? t->name : "?"; }

// Paths relative to the source tree.
const char* short_path(const char* file)
{
    if (!file)
        return "?";
    const char* root = MYRIAD_SOURCE_DIR "/";
    const char* f = file;
    for (const char* r = root; *r; ++r, ++f)
        if (*f != *r)
            return file;
    return f;
}

bool warn_only()
{
    auto mode = kernel::boot_info().cmdline.get("ubsan");
    return mode && *mode == lib::StringView("warn");
}

// Reports one failed check; returns only in warn mode, and only if the
// program can go on after it (fatal: it cannot).
template <typename... Args>
void report(bool fatal, SourceLocation& at, u64 pc, u64 fp, lib::StringView fmt, const Args&... args)
{
    if (!fatal && warn_only()) {
        if (at.column == ~u32(0))
            return; // this place was reported already
        kernel::PrintkSink sink;
        kernel::printk_prefix(sink);
        lib::format(sink, "UBSan: ");
        lib::format(sink, fmt, args...);
        lib::format(sink, " at {}:{}:{} (ubsan=warn: continuing)\n", short_path(at.file), at.line, at.column);
        sink.flush();
        at.column = ~u32(0);
        return;
    }
    kernel::panic_begin();
    kernel::panic_print("\nKERNEL PANIC: UBSan: ");
    kernel::panic_print(fmt, args...);
    kernel::panic_print("\n  at {}:{}:{}\nbacktrace:\n", short_path(at.file), at.line, at.column);
    arch::print_backtrace(pc, fp);
    kernel::panic_end();
}

#define UBSAN_REPORT(at, ...) report(false, at, u64(__builtin_return_address(0)), u64(__builtin_frame_address(0)), __VA_ARGS__)

void overflow(OverflowData* d, ValueHandle lhs, ValueHandle rhs, char op, u64 pc, u64 fp)
{
    report(false, d->location, pc, fp, "signed integer overflow: {} {} {} cannot be represented in type {}",
           Value{d->type, lhs}, op, Value{d->type, rhs}, type_name(d->type));
}

const char* const TYPE_CHECK_KINDS[] = {
    "load of", "store to", "reference binding to", "member access within", "member call on",
    "constructor call on", "downcast of", "downcast of", "upcast of", "cast to virtual base of",
    "_Nonnull binding to", "dynamic operation on",
};

} // namespace

// The entry points, named and shaped by the compiler's ABI (the kernel
// builds with recovery on, so no "_abort" variants are called).
extern "C" {

void __ubsan_handle_add_overflow(OverflowData* d, ValueHandle lhs, ValueHandle rhs)
{
    overflow(d, lhs, rhs, '+', u64(__builtin_return_address(0)), u64(__builtin_frame_address(0)));
}

void __ubsan_handle_sub_overflow(OverflowData* d, ValueHandle lhs, ValueHandle rhs)
{
    overflow(d, lhs, rhs, '-', u64(__builtin_return_address(0)), u64(__builtin_frame_address(0)));
}

void __ubsan_handle_mul_overflow(OverflowData* d, ValueHandle lhs, ValueHandle rhs)
{
    overflow(d, lhs, rhs, '*', u64(__builtin_return_address(0)), u64(__builtin_frame_address(0)));
}

void __ubsan_handle_negate_overflow(OverflowData* d, ValueHandle old)
{
    UBSAN_REPORT(d->location, "negation of {} cannot be represented in type {}", Value{d->type, old},
                 type_name(d->type));
}

void __ubsan_handle_divrem_overflow(OverflowData* d, ValueHandle lhs, ValueHandle rhs)
{
    Value divisor{d->type, rhs};
    if (bit_width(d->type) <= 64 && rhs == 0)
        UBSAN_REPORT(d->location, "division by zero: {} / 0 in type {}", Value{d->type, lhs}, type_name(d->type));
    else
        UBSAN_REPORT(d->location, "division of {} by {} cannot be represented in type {}", Value{d->type, lhs},
                     divisor, type_name(d->type));
}

void __ubsan_handle_shift_out_of_bounds(ShiftOutOfBoundsData* d, ValueHandle lhs, ValueHandle rhs)
{
    Value base{d->lhs_type, lhs}, exponent{d->rhs_type, rhs};
    if (is_negative(exponent))
        UBSAN_REPORT(d->location, "shift exponent {} is negative", exponent);
    else if (bit_width(d->lhs_type) <= 64 && u64(rhs) >= bit_width(d->lhs_type))
        UBSAN_REPORT(d->location, "shift exponent {} is too large for {}-bit type {}", exponent,
                     bit_width(d->lhs_type), type_name(d->lhs_type));
    else if (is_negative(base))
        UBSAN_REPORT(d->location, "left shift of negative value {}", base);
    else
        UBSAN_REPORT(d->location, "left shift of {} by {} places cannot be represented in type {}", base, exponent,
                     type_name(d->lhs_type));
}

void __ubsan_handle_out_of_bounds(OutOfBoundsData* d, ValueHandle index)
{
    UBSAN_REPORT(d->location, "index {} out of bounds for type {}", Value{d->index_type, index},
                 type_name(d->array_type));
}

void __ubsan_handle_type_mismatch_v1(TypeMismatchData* d, ValueHandle pointer)
{
    const char* what = d->type_check_kind < sizeof(TYPE_CHECK_KINDS) / sizeof(TYPE_CHECK_KINDS[0])
                           ? TYPE_CHECK_KINDS[d->type_check_kind]
                           : "access to";
    u64 alignment = u64(1) << d->log_alignment;
    if (pointer == 0)
        UBSAN_REPORT(d->location, "{} null pointer of type {}", what, type_name(d->type));
    else if (d->log_alignment != 0 && (pointer & (alignment - 1)) != 0)
        UBSAN_REPORT(d->location, "{} misaligned address {:#x} for type {}, which requires {} byte alignment", what,
                     u64(pointer), type_name(d->type), alignment);
    else
        UBSAN_REPORT(d->location, "{} address {:#x} with insufficient space for an object of type {}", what,
                     u64(pointer), type_name(d->type));
}

void __ubsan_handle_load_invalid_value(InvalidValueData* d, ValueHandle value)
{
    UBSAN_REPORT(d->location, "load of value {}, which is not a valid value for type {}", Value{d->type, value},
                 type_name(d->type));
}

void __ubsan_handle_vla_bound_not_positive(InvalidValueData* d, ValueHandle bound)
{
    UBSAN_REPORT(d->location, "variable length array bound evaluates to non-positive value {}", Value{d->type, bound});
}

void __ubsan_handle_nonnull_arg(NonNullArgData* d)
{
    UBSAN_REPORT(d->location, "null pointer passed as argument {}, which is declared to never be null",
                 d->argument_index);
}

void __ubsan_handle_nonnull_return_v1(NonNullReturnData*, SourceLocation* at)
{
    UBSAN_REPORT(*at, "null pointer returned from a function declared to never return null");
}

void __ubsan_handle_pointer_overflow(PointerOverflowData* d, ValueHandle base, ValueHandle result)
{
    UBSAN_REPORT(d->location, "pointer arithmetic on {:#x} overflowed to {:#x}", u64(base), u64(result));
}

void __ubsan_handle_invalid_builtin(InvalidBuiltinData* d)
{
    UBSAN_REPORT(d->location, "passing zero to {}, which is not a valid argument",
                 d->kind == 0 ? "__builtin_ctz" : "__builtin_clz");
}

// These two cannot return, whatever the mode: there is no code after them.
[[noreturn]] void __ubsan_handle_builtin_unreachable(UnreachableData* d)
{
    report(true, d->location, u64(__builtin_return_address(0)), u64(__builtin_frame_address(0)),
           "execution reached __builtin_unreachable()");
    __builtin_unreachable();
}

[[noreturn]] void __ubsan_handle_missing_return(UnreachableData* d)
{
    report(true, d->location, u64(__builtin_return_address(0)), u64(__builtin_frame_address(0)),
           "execution reached the end of a value-returning function without returning a value");
    __builtin_unreachable();
}

} // extern "C"
