// An intrusive doubly linked list (like Linux's list_head, typed): the
// element embeds a ListNode; the list never allocates. O(1) insert/remove.
#pragma once

#include "lib/types.hpp"

namespace lib {

struct ListNode {
    ListNode* prev = this;
    ListNode* next = this;

    bool is_linked() const { return next != this; }
    void unlink()
    {
        prev->next = next;
        next->prev = prev;
        prev = next = this;
    }
};

// T has a ListNode member; Member is a pointer to it.
template <typename T, ListNode T::*Member> class IntrusiveList {
public:
    IntrusiveList() = default;
    IntrusiveList(const IntrusiveList&) = delete;

    bool is_empty() const { return !m_head.is_linked(); }
    void push_back(T& item) { insert_before(m_head, node_of(item)); }
    void push_front(T& item) { insert_before(*m_head.next, node_of(item)); }
    static void remove(T& item) { node_of(item).unlink(); }
    T* first() { return is_empty() ? nullptr : owner_of(m_head.next); }
    T* pop_front()
    {
        T* item = first();
        if (item)
            remove(*item);
        return item;
    }
    usize count() const
    {
        usize n = 0;
        for (const ListNode* p = m_head.next; p != &m_head; p = p->next)
            ++n;
        return n;
    }

    class Iterator {
    public:
        explicit Iterator(ListNode* n) : m_node(n), m_next(n->next) {}
        T& operator*() const { return *owner_of(m_node); }
        // Safe against removing the current element.
        Iterator& operator++()
        {
            m_node = m_next;
            m_next = m_node->next;
            return *this;
        }
        bool operator!=(const Iterator& o) const { return m_node != o.m_node; }

    private:
        ListNode* m_node;
        ListNode* m_next;
    };
    Iterator begin() { return Iterator(m_head.next); }
    Iterator end() { return Iterator(&m_head); }

private:
    static ListNode& node_of(T& item) { return item.*Member; }
    static T* owner_of(ListNode* node)
    {
        // offsetof for a member pointer: the distance of Member in a T.
        auto offset = reinterpret_cast<uptr>(&(reinterpret_cast<T*>(0x1000)->*Member)) - 0x1000;
        return reinterpret_cast<T*>(reinterpret_cast<uptr>(node) - offset);
    }
    static void insert_before(ListNode& at, ListNode& n)
    {
        n.prev = at.prev;
        n.next = &at;
        at.prev->next = &n;
        at.prev = &n;
    }

    ListNode m_head;
};

} // namespace lib
