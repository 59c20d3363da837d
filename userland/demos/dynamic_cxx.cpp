// A dynamically linked C++ program (libstdc++.so.6, libgcc_s.so.1 for
// unwinding, libm.so.6, libc.so.6): strings, containers, an exception
// thrown through a library, iostreams. Prints one line the tests check.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

int parse(const std::string& text)
{
    std::size_t used = 0;
    int value = std::stoi(text, &used); // throws std::invalid_argument from libstdc++
    if (used != text.size())
        throw std::runtime_error("trailing characters in " + text);
    return value;
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::string> words(argv + 1, argv + argc);
    if (words.empty())
        words = {"3", "1", "2", "x"};
    std::map<std::string, int> parsed;
    int failures = 0;
    for (const auto& w : words) {
        try {
            parsed[w] = parse(w);
        } catch (const std::exception& e) {
            ++failures;
        }
    }
    std::vector<int> values;
    for (const auto& [word, value] : parsed)
        values.push_back(value);
    std::sort(values.rbegin(), values.rend());
    std::cout << "dynamic c++:";
    for (int v : values)
        std::cout << ' ' << v;
    std::cout << ", " << failures << " not a number, sqrt(2) = " << std::sqrt(2.0) << std::endl;
    return 0;
}
