// The data-deletion family: a request and its replay key, here only.

#include "igbridge/store/deletions.hpp"

#include "igbridge/tables.hpp"

namespace igbridge::deletions {

opened open(write_txn& txn, const std::string& request_key, const std::string& fresh_code,
            uint64_t users, int64_t now) {
  opened o;
  if (auto known = tables::deletion_requests.get(txn, request_key)) {
    o.code = *known;
    o.replayed = true;
    auto d = tables::deletions.get(txn, *known);
    o.completed = d && d->status == deletion_status::completed;
    return o;
  }
  deletion_record d;
  d.users = users;
  d.requested_at = now;
  tables::deletions.put(txn, fresh_code, d);
  tables::deletion_requests.put(txn, request_key, fresh_code);
  o.code = fresh_code;
  return o;
}

void complete(write_txn& txn, const std::string& code, int64_t now) {
  auto d = tables::deletions.get(txn, code).value_or(deletion_record{});
  d.status = deletion_status::completed;
  d.completed_at = now;
  tables::deletions.put(txn, code, d);
}

std::optional<deletion_record> get(const read_txn& txn, const std::string& code) {
  return tables::deletions.get(txn, code);
}

void put_raw(write_txn& txn, const std::string& code, const deletion_record& d) {
  tables::deletions.put(txn, code, d);
}

} // namespace igbridge::deletions
