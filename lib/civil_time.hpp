// Seconds since the Unix epoch as a UTC calendar date and time: what an
// RTC reports (RTC_RD_TIME's struct rtc_time) and gmtime(3) computes.
// Pure arithmetic on the proleptic Gregorian calendar: days are counted
// in 400-year eras of 146 097 days, with years starting on March 1 so
// that the leap day is the last day of its year.
#pragma once

#include "lib/types.hpp"

namespace lib {

struct CivilTime {
    i64 year;     // e.g. 2026
    int month;    // 1..12
    int day;      // 1..31
    int hour, minute, second;
    int weekday;  // 0 = Sunday
    int yearday;  // 0..365, January 1 = 0
};

constexpr bool is_leap_year(i64 y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr CivilTime civil_from_unix_seconds(i64 t)
{
    i64 days = t / 86400, rest = t % 86400;
    if (rest < 0) {
        rest += 86400;
        --days;
    }
    CivilTime c{};
    c.hour = int(rest / 3600);
    c.minute = int(rest / 60 % 60);
    c.second = int(rest % 60);
    c.weekday = int(((days % 7) + 11) % 7); // 1970-01-01 was a Thursday (4)
    // Shift the epoch to 0000-03-01, the start of an era.
    i64 z = days + 719468;
    i64 era = (z >= 0 ? z : z - 146096) / 146097;
    i64 day_of_era = z - era * 146097;                                                        // 0..146096
    i64 year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365; // 0..399
    i64 day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);   // 0..365, from March 1
    i64 month_index = (5 * day_of_year + 2) / 153;                                           // 0 = March
    c.day = int(day_of_year - (153 * month_index + 2) / 5 + 1);
    c.month = int(month_index < 10 ? month_index + 3 : month_index - 9);
    c.year = year_of_era + era * 400 + (c.month <= 2 ? 1 : 0);
    // Day of the (January-based) year.
    constexpr int before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    c.yearday = before_month[c.month - 1] + c.day - 1 + (c.month > 2 && is_leap_year(c.year) ? 1 : 0);
    return c;
}

} // namespace lib
