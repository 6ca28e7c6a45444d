// queue_event DIR TYPE EVENT_ID USER DATA_JSON: appends one event to the
// outbox of the (stopped) daemon's store at DIR, as the producer half would
// queue it, so the sinks' tests can deliver every event type through the
// real daemon. Prints the entry's sequence number.

#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "igbridge/clock.hpp"
#include "igbridge/records.hpp"
#include "igbridge/store.hpp"
#include "igbridge/store/outbox.hpp"

int main(int argc, char** argv) {
  using namespace igbridge;
  if (argc != 6) {
    std::cerr << "usage: queue_event DIR TYPE EVENT_ID USER DATA_JSON\n";
    return 2;
  }
  auto type = event_type_from(argv[2]);
  if (!type) {
    std::cerr << "unknown event type " << argv[2] << "\n";
    return 2;
  }
  if (nlohmann::json::parse(argv[5], nullptr, false).is_discarded()) {
    std::cerr << "DATA_JSON is not JSON\n";
    return 2;
  }
  store s{argv[1]};
  outbox_entry e;
  e.type = *type;
  e.id = argv[3];
  e.user = argv[4];
  e.data = argv[5];
  e.created_at = unix_now();
  e.next_attempt_at = e.created_at;
  auto txn = s.write();
  write_notes notes;
  outbox::append(txn, notes, e);
  txn.commit();
  std::cout << e.seq << "\n";
  return 0;
}
