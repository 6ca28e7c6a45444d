#include "user/import_changes.hpp"

#include <nlohmann/json.hpp>

#include "igbridge/clock.hpp"
#include "igbridge/store/media_refs.hpp"
#include "igbridge/store/outbox.hpp"
#include "user/account_events.hpp"

namespace igbridge {

namespace {

std::vector<std::string> child_ids(const media_item& item) {
  std::vector<std::string> out;
  for (const auto& c : item.children) {
    out.push_back(c.id);
  }
  return out;
}

outbox_entry event_of(event_type type, const user_record& rec, const std::string& media_id,
                      int64_t now, std::string data) {
  outbox_entry e;
  e.type = type;
  // Unique per event (an update repeats its record's id): the host
  // deduplicates by this, never by the record id.
  e.id = event_id(to_string(type), media_id, now);
  e.user = rec.user;
  e.created_at = now;
  e.next_attempt_at = now;
  e.data = std::move(data);
  return e;
}

void append_deleted(write_txn& txn, write_notes& notes, const user_record& rec,
                    const std::string& media_id, imports::delivered& d, int64_t now) {
  nlohmann::ordered_json data{{"id", "instagram:" + media_id},
                              {"user", rec.user},
                              {"instagram_user_id", rec.instagram_user_id},
                              {"media_id", media_id},
                              {"permalink", d.permalink},
                              {"deleted_at", rfc3339(now)}};
  auto e = event_of(event_type::media_deleted, rec, media_id, now, data.dump());
  outbox::append(txn, notes, e);
  d.deleted = true;
  // Its stored files go once nothing references them (DESIGN §9).
  media_refs::release(txn, notes, rec.user,
                      imports::files_only_of(txn, rec.user, media_id, d.files));
  d.files.clear();
  imports::put(txn, rec.user, media_id, d);
}

/// What the host is given of `item`: what a later fetch compares with.
imports::delivered delivered_values(const media_item& item, int64_t taken_at, int64_t now) {
  imports::delivered d;
  d.caption = item.caption;
  d.tags = item.tags;
  d.media_type = item.media_type;
  d.children = child_ids(item);
  d.permalink = item.permalink;
  d.taken_at = taken_at;
  d.imported_at = now;
  return d;
}

} // namespace

nlohmann::json queue_import(write_txn& txn, write_notes& notes, user_record& rec,
                            const media_item& item, int64_t taken_at, int64_t now) {
  outbox_entry out;
  out.type = event_type::media_imported;
  out.id = "instagram:" + item.id;
  out.user = rec.user;
  out.created_at = now;
  out.next_attempt_at = now;
  auto record = import_record(rec.user, rec.instagram_user_id, item, now);
  out.data = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  outbox::append(txn, notes, out);
  imports::put(txn, rec.user, item.id, delivered_values(item, taken_at, now));
  ++rec.imported;
  return record;
}

std::optional<event_type> recheck_import(write_txn& txn, write_notes& notes,
                                         const user_record& rec, const media_item& item,
                                         bool still_matches, bool delete_on_untag, int64_t now,
                                         int64_t recheck_s) {
  auto d = imports::get(txn, rec.user, item.id);
  if (!d || d->deleted || now - d->taken_at >= recheck_s) {
    return std::nullopt;
  }
  auto children = child_ids(item);
  if (!d->values_known) {
    // Imported before the values were kept: take them as they are now.
    d->caption = item.caption;
    d->tags = item.tags;
    d->media_type = item.media_type;
    d->children = children;
    d->values_known = true;
    imports::put(txn, rec.user, item.id, *d);
    return std::nullopt;
  }
  auto previous = nlohmann::json::object();
  if (d->caption != item.caption) {
    previous["caption"] = d->caption;
  }
  if (d->tags != item.tags) {
    previous["tags"] = d->tags;
  }
  if (d->media_type != item.media_type || d->children != children) {
    previous["media_type"] = d->media_type;
    previous["children"] = d->children;
  }
  if (previous.empty()) {
    return std::nullopt;
  }
  if (!still_matches && delete_on_untag) {
    append_deleted(txn, notes, rec, item.id, *d, now);
    return event_type::media_deleted;
  }
  // The record as an import would carry it now (same id, the first
  // import's time), with the changed fields' old values.
  auto record = import_record(rec.user, rec.instagram_user_id, item, d->imported_at);
  record["previous"] = std::move(previous);
  auto e = event_of(event_type::media_updated, rec, item.id, now,
                    record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  outbox::append(txn, notes, e);
  d->caption = item.caption;
  d->tags = item.tags;
  d->media_type = item.media_type;
  d->children = std::move(children);
  imports::put(txn, rec.user, item.id, *d);
  return event_type::media_updated;
}

bool queue_deleted(write_txn& txn, write_notes& notes, const user_record& rec,
                   const std::string& media_id, int64_t now) {
  auto d = imports::get(txn, rec.user, media_id);
  if (!d || d->deleted) {
    return false;
  }
  append_deleted(txn, notes, rec, media_id, *d, now);
  return true;
}

} // namespace igbridge
