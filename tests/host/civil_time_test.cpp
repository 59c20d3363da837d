// civil_from_unix_seconds against the host C library's gmtime_r.
#include "lib/civil_time.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <random>

static void expect_as_gmtime(int64_t t)
{
    time_t tt = time_t(t);
    struct tm want{};
    ASSERT_NE(gmtime_r(&tt, &want), nullptr) << t;
    lib::CivilTime got = lib::civil_from_unix_seconds(t);
    EXPECT_EQ(got.year, int64_t(want.tm_year) + 1900) << t;
    EXPECT_EQ(got.month, want.tm_mon + 1) << t;
    EXPECT_EQ(got.day, want.tm_mday) << t;
    EXPECT_EQ(got.hour, want.tm_hour) << t;
    EXPECT_EQ(got.minute, want.tm_min) << t;
    EXPECT_EQ(got.second, want.tm_sec) << t;
    EXPECT_EQ(got.weekday, want.tm_wday) << t;
    EXPECT_EQ(got.yearday, want.tm_yday) << t;
}

TEST(CivilTime, KnownDates)
{
    constexpr auto epoch = lib::civil_from_unix_seconds(0);
    static_assert(epoch.year == 1970 && epoch.month == 1 && epoch.day == 1 && epoch.weekday == 4);
    constexpr auto leap_day = lib::civil_from_unix_seconds(951782400); // 2000-02-29 00:00:00
    static_assert(leap_day.year == 2000 && leap_day.month == 2 && leap_day.day == 29 && leap_day.yearday == 59);
    auto before = lib::civil_from_unix_seconds(-1); // 1969-12-31 23:59:59, a Wednesday
    EXPECT_EQ(before.year, 1969);
    EXPECT_EQ(before.month, 12);
    EXPECT_EQ(before.day, 31);
    EXPECT_EQ(before.second, 59);
    EXPECT_EQ(before.weekday, 3);
}

TEST(CivilTime, AgreesWithGmtimeOverFourCenturies)
{
    // Every day boundary of the leap-year corner cases, and random seconds.
    for (int64_t t : {0ll, 68169600ll, 951868799ll, 951868800ll, 4107542400ll, 4107542399ll, 253402300799ll})
        expect_as_gmtime(t);
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<int64_t> any(-12219292800ll, 253402300799ll); // 1582 .. 9999
    for (int i = 0; i < 200000; ++i)
        expect_as_gmtime(any(rng));
}
