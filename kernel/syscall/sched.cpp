// Scheduling policy system calls (sched(7)): sched_setscheduler,
// sched_setparam, sched_setattr and their getters, the priority range of
// each policy, sched_rr_get_interval. They follow Linux's
// kernel/sched/syscalls.c: the same argument checks in the same order,
// the same permission rules (RLIMIT_RTPRIO, RLIMIT_NICE, CAP_SYS_NICE,
// SCHED_RESET_ON_FORK), per thread (a tid; 0 is the caller).
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/syscall/syscall.hpp"

namespace kernel {

namespace {

using E = SchedEntity;

constexpr i32 SCHED_DEADLINE = 6;          // known to the range calls; not run here
constexpr i32 SCHED_RESET_ON_FORK = 0x40000000;
constexpr i32 SETPARAM_POLICY = -1;        // sched_setparam: keep the policy
constexpr unsigned RLIMIT_NICE = 13, RLIMIT_RTPRIO = 14;
// sched_attr.sched_flags (include/uapi/linux/sched.h).
constexpr u64 FLAG_RESET_ON_FORK = 0x01, FLAG_RECLAIM = 0x02, FLAG_DL_OVERRUN = 0x04, FLAG_KEEP_POLICY = 0x08,
              FLAG_KEEP_PARAMS = 0x10;
constexpr usize PAGE = 4096;

// struct sched_attr: VER0 is 48 bytes, VER1 (utilization clamps) 56.
struct SchedAttr {
    u32 size, policy;
    u64 flags;
    i32 nice;
    u32 priority;
    u64 runtime, deadline, period;
    u32 util_min, util_max;
};
static_assert(sizeof(SchedAttr) == 56);
constexpr u32 SCHED_ATTR_SIZE_VER0 = 48;

bool valid_policy(i64 p)
{
    return p == E::POLICY_OTHER || p == E::POLICY_FIFO || p == E::POLICY_RR || p == E::POLICY_BATCH ||
           p == E::POLICY_IDLE;
}
bool rt_policy(i64 p) { return p == E::POLICY_FIFO || p == E::POLICY_RR; }

Thread* target_proc_locked(Pid pid)
{
    Thread* t = pid ? find_thread_proc_locked(pid) : &current_thread();
    return t && t->state != ThreadState::Dead ? t : nullptr;
}

// work(thread) on pid's thread under the process lock; ESRCH if there is
// none. work returns a T or a Result<T>.
template <typename T, typename Work> Result<T> with_target(Pid pid, Work work)
{
    SpinLockGuard guard(process_lock());
    Thread* t = target_proc_locked(pid);
    if (!t)
        return Errno::esrch;
    return Result<T>(work(*t));
}

// sched_get_priority_max/min: 1..99 for the real-time policies, 0 for the
// others (SCHED_DEADLINE too, as Linux answers), EINVAL for no policy.
Result<u64> priority_bound(i32 policy, u32 rt_bound)
{
    if (rt_policy(policy))
        return u64(rt_bound);
    if (valid_policy(policy) || policy == SCHED_DEADLINE)
        return u64(0);
    return Errno::einval;
}

// Linux's can_nice: nice may go as low as RLIMIT_NICE allows (20 - nice
// <= the limit), or anywhere with CAP_SYS_NICE.
bool can_nice(const Process& target, int nice, const Credentials& me)
{
    return u64(20 - nice) <= target.rlimit_cur[RLIMIT_NICE] || me.capable(Cap::sys_nice);
}

struct Request {
    i32 policy;            // SETPARAM_POLICY: keep it (and reset-on-fork)
    u32 priority;
    bool reset_on_fork;
    bool set_nice = false; // sched_setattr with a time-sharing policy
    int nice = 0;
    bool keep_params = false;
};

// Linux's __sched_setscheduler: validate, check permission, then apply.
Result<u64> set_scheduler_proc_locked(Thread& t, Request r)
{
    process_lock().assert_held();
    const E& e = t.sched;
    if (r.policy == SETPARAM_POLICY) {
        r.policy = e.policy;
        r.reset_on_fork = e.reset_on_fork;
    }
    if (r.keep_params) { // sched_setattr's SCHED_FLAG_KEEP_PARAMS: Linux's get_params
        if (e.is_rt())
            r.priority = e.rt_priority;
        else
            r.nice = e.nice;
    }
    if (!valid_policy(r.policy))
        return Errno::einval;
    if (r.priority > E::RT_PRIO_MAX || rt_policy(r.policy) != (r.priority != 0))
        return Errno::einval;
    bool fair = !rt_policy(r.policy);
    const Credentials& me = current_process().creds;
    if (!me.capable(Cap::sys_nice)) {
        const Process& target = *t.process;
        if (fair && r.set_nice && r.nice < e.nice && !can_nice(target, r.nice, me))
            return Errno::eperm;
        if (!fair) {
            u64 limit = target.rlimit_cur[RLIMIT_RTPRIO];
            // Without a limit no real-time policy; with one, no priority
            // above both it and the current one.
            if (r.policy != e.policy && !limit)
                return Errno::eperm;
            if (r.priority > e.rt_priority && r.priority > limit)
                return Errno::eperm;
        }
        // Leaving SCHED_IDLE is a raise: as lowering nice.
        if (e.policy == E::POLICY_IDLE && r.policy != E::POLICY_IDLE && !can_nice(target, e.nice, me))
            return Errno::eperm;
        const Credentials& them = target.creds;
        if (me.euid != them.euid && me.euid != them.uid)
            return Errno::eperm;
        if (e.reset_on_fork && !r.reset_on_fork)
            return Errno::eperm;
    }
    if (fair && r.set_nice)
        set_nice_proc_locked(t, r.nice);
    set_policy_proc_locked(t, u8(r.policy), u8(r.priority), r.reset_on_fork);
    return u64(0);
}

// sched_setattr's sched_copy_attr: the size field says how much the
// caller has; 0 means VER0; smaller than VER0, beyond a page, or a
// larger struct whose unknown tail is not zero fails with E2BIG after
// the size this kernel knows is written back.
Result<SchedAttr> read_attr(u64 address)
{
    SchedAttr a{};
    u32 size = TRY(mm::read_user<u32>(address));
    if (size == 0)
        size = SCHED_ATTR_SIZE_VER0;
    bool too_big = size < SCHED_ATTR_SIZE_VER0 || size > PAGE;
    for (usize at = sizeof a; !too_big && at < size; at += 8) {
        u8 tail[8] = {};
        usize n = lib::min<usize>(8, size - at);
        TRY(mm::copy_from_user(tail, address + at, n));
        for (usize i = 0; i < n; ++i)
            too_big |= tail[i] != 0;
    }
    if (too_big) {
        TRY(mm::write_user(address, u32(sizeof a)));
        return Errno::e2big;
    }
    TRY(mm::copy_from_user(&a, address, lib::min<usize>(size, sizeof a)));
    a.size = size;
    return a;
}

} // namespace

Result<u64> sys_sched_setscheduler(Pid pid, i32 policy, UserPtr<const i32> param)
{
    if (!param || pid < 0 || policy < 0)
        return Errno::einval;
    i32 priority = TRY(mm::read_user(param));
    Request r{policy & ~SCHED_RESET_ON_FORK, u32(priority), (policy & SCHED_RESET_ON_FORK) != 0};
    return with_target<u64>(pid, [&](Thread& t) { return set_scheduler_proc_locked(t, r); });
}

Result<u64> sys_sched_setparam(Pid pid, UserPtr<const i32> param)
{
    if (!param || pid < 0)
        return Errno::einval;
    i32 priority = TRY(mm::read_user(param));
    Request r{SETPARAM_POLICY, u32(priority), false};
    return with_target<u64>(pid, [&](Thread& t) { return set_scheduler_proc_locked(t, r); });
}

Result<u64> sys_sched_getscheduler(Pid pid)
{
    if (pid < 0)
        return Errno::einval;
    return with_target<u64>(pid, [](Thread& t) {
        return u64(t.sched.policy) | (t.sched.reset_on_fork ? u64(SCHED_RESET_ON_FORK) : 0);
    });
}

Result<u64> sys_sched_getparam(Pid pid, UserPtr<i32> param)
{
    if (!param || pid < 0)
        return Errno::einval;
    i32 priority = TRY(with_target<i32>(pid, [](Thread& t) { return t.sched.rt_priority; }));
    TRY(mm::write_user(param, priority));
    return u64(0);
}

Result<u64> sys_sched_get_priority_max(i32 policy) { return priority_bound(policy, E::RT_PRIO_MAX); }

Result<u64> sys_sched_get_priority_min(i32 policy) { return priority_bound(policy, E::RT_PRIO_MIN); }

Result<u64> sys_sched_rr_get_interval(Pid pid, UserPtr<Timespec> interval)
{
    if (pid < 0)
        return Errno::einval;
    u64 ns = TRY(with_target<u64>(pid, [](Thread& t) { return rr_interval_ns(t); }));
    TRY(mm::write_user(interval, Timespec{i64(ns / 1'000'000'000), i64(ns % 1'000'000'000)}));
    return u64(0);
}

Result<u64> sys_sched_setattr(Pid pid, UserPtr<u32> attr, u32 flags)
{
    if (!attr || pid < 0 || flags)
        return Errno::einval;
    SchedAttr a = TRY(read_attr(attr.address()));
    if (i32(a.policy) < 0)
        return Errno::einval;
    // Utilization clamps and deadline parameters are not kept here.
    if (a.flags & ~(FLAG_RESET_ON_FORK | FLAG_RECLAIM | FLAG_DL_OVERRUN | FLAG_KEEP_POLICY | FLAG_KEEP_PARAMS))
        return Errno::einval;
    Request r{a.flags & FLAG_KEEP_POLICY ? SETPARAM_POLICY : i32(a.policy), a.priority,
              (a.flags & FLAG_RESET_ON_FORK) != 0};
    r.set_nice = true;
    r.nice = E::clamp_nice(a.nice);
    r.keep_params = a.flags & FLAG_KEEP_PARAMS;
    return with_target<u64>(pid, [&](Thread& t) { return set_scheduler_proc_locked(t, r); });
}

Result<u64> sys_sched_getattr(Pid pid, UserPtr<u32> attr, u32 size, u32 flags)
{
    // Any size from VER0 up: the kernel writes what it knows.
    if (!attr || pid < 0 || size < SCHED_ATTR_SIZE_VER0 || flags)
        return Errno::einval;
    SchedAttr a = TRY(with_target<SchedAttr>(pid, [](Thread& t) {
        SchedAttr read{};
        read.policy = t.sched.policy;
        read.flags = t.sched.reset_on_fork ? FLAG_RESET_ON_FORK : 0;
        if (t.sched.is_rt())
            read.priority = t.sched.rt_priority;
        else
            read.nice = t.sched.nice;
        return read;
    }));
    a.size = lib::min<u32>(size, sizeof a);
    TRY(mm::copy_to_user(attr.address(), &a, a.size));
    return u64(0);
}

} // namespace kernel

#define MYRIAD_THUNKS_sched(handler) MYRIAD_THUNK(handler)
#include "kernel/syscall/instantiate_thunks.inc"
