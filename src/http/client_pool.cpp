#include "client_pool.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace igbridge {

namespace {

/// True when a parked socket still looks usable: nothing to read and no FIN.
/// A server that closed its end while we were idle shows up here as EOF, so
/// most stale connections are dropped before we write a request into them.
bool looks_alive(client_connection& conn) {
  auto& sock = conn.tcp().socket();
  if (!sock.is_open()) {
    return false;
  }
  char byte;
  auto n = ::recv(sock.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) {
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
  // 0 is EOF; > 0 is unsolicited data (or a TLS alert), neither is reusable.
  return false;
}

} // namespace

client_pool::client_pool(boost::asio::io_context& io, std::size_t max_idle_per_host,
                         std::chrono::seconds idle_timeout)
  : sweep_(io), max_idle_per_host_(max_idle_per_host), idle_timeout_(idle_timeout) {
  // nop
}

client_connection_ptr client_pool::take(const std::string& key) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = idle_.find(key);
  if (i == idle_.end()) {
    return nullptr;
  }
  auto& list = i->second;
  auto deadline = std::chrono::steady_clock::now() - idle_timeout_;
  client_connection_ptr found;
  // Newest last: it is the least likely to have been closed by the server.
  while (!list.empty() && !found) {
    auto conn = std::move(list.back());
    list.pop_back();
    if (conn->idle_since > deadline && looks_alive(*conn)) {
      found = std::move(conn);
    }
    // else: `conn` goes out of scope and its socket closes.
  }
  if (list.empty()) {
    idle_.erase(i);
  }
  if (found) {
    found->reused = true;
  }
  return found;
}

void client_pool::put(client_connection_ptr conn) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (closed_ || max_idle_per_host_ == 0) {
    return;
  }
  auto& list = idle_[conn->key];
  if (list.size() >= max_idle_per_host_) {
    // Drop the oldest: the new one has the longest life left.
    list.erase(list.begin());
  }
  conn->idle_since = std::chrono::steady_clock::now();
  list.push_back(std::move(conn));
  if (!sweep_armed_) {
    arm_sweep_locked();
  }
}

void client_pool::close_idle() {
  std::lock_guard<std::mutex> guard{mtx_};
  idle_.clear();
  sweep_.cancel();
  sweep_armed_ = false;
}

void client_pool::shutdown() {
  std::lock_guard<std::mutex> guard{mtx_};
  closed_ = true;
  idle_.clear();
  sweep_.cancel();
  sweep_armed_ = false;
}

std::size_t client_pool::idle_count() {
  std::lock_guard<std::mutex> guard{mtx_};
  std::size_t n = 0;
  for (auto& [key, list] : idle_) {
    n += list.size();
  }
  return n;
}

void client_pool::arm_sweep_locked() {
  // Wake up when the oldest parked connection expires; sockets the server
  // closed would otherwise linger in CLOSE_WAIT until the next request.
  auto oldest = std::chrono::steady_clock::time_point::max();
  for (auto& [key, list] : idle_) {
    for (auto& conn : list) {
      oldest = std::min(oldest, conn->idle_since);
    }
  }
  if (oldest == std::chrono::steady_clock::time_point::max()) {
    sweep_armed_ = false;
    return;
  }
  sweep_armed_ = true;
  sweep_.expires_at(oldest + idle_timeout_);
  // A weak reference: a parked-connection timer must not keep the client alive.
  std::weak_ptr<client_pool> weak = weak_from_this();
  sweep_.async_wait([weak](boost::system::error_code ec) {
    if (auto self = weak.lock()) {
      self->on_sweep(ec);
    }
  });
}

void client_pool::on_sweep(boost::system::error_code ec) {
  if (ec == boost::asio::error::operation_aborted) {
    return; // cancelled or re-armed; whoever did that owns the timer now
  }
  std::lock_guard<std::mutex> guard{mtx_};
  if (closed_) {
    return;
  }
  expire_locked(std::chrono::steady_clock::now());
  arm_sweep_locked();
}

void client_pool::expire_locked(std::chrono::steady_clock::time_point now) {
  for (auto i = idle_.begin(); i != idle_.end();) {
    auto& list = i->second;
    for (auto j = list.begin(); j != list.end();) {
      if (now - (*j)->idle_since >= idle_timeout_) {
        j = list.erase(j);
      } else {
        ++j;
      }
    }
    if (list.empty()) {
      i = idle_.erase(i);
    } else {
      ++i;
    }
  }
}

} // namespace igbridge
