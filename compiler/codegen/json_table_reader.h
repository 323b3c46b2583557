// Reading back a JSON document one of whose top-level members is a table
// that grows with the policy (a state file's rule rows, the map sidecar's
// rules): the parser's events (SAX) build each row of that table as a
// small tree, hand it over and drop it, so 100k rows never make one tree.
// The other members are kept as a tree, as json::parse makes it, or
// skipped unread (the sidecar's map entries, tens of MB).
//
// Not nlohmann's parser with a callback: that one scans a container's
// elements each time an object in it closes, which reads a table of 100k
// objects quadratically (seconds).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace psl::codegen {

class JsonTableReader : public nlohmann::json_sax<nlohmann::json> {
public:
  using json = nlohmann::json;
  // Gets each row of the table in order; false stops the reading (the
  // caller keeps why).
  using Row = std::function<bool(json &row)>;

  // `table`: the top-level member whose array elements go to `row`.
  // `keep_others`: keep the other members in root(), else skip them.
  JsonTableReader(std::string table, bool keep_others, Row row)
      : table_(std::move(table)), keep_others_(keep_others),
        row_cb_(std::move(row)) {}

  // Reads `text`; false if it is not JSON or a row stopped it.
  bool read(const std::string &text) { return json::sax_parse(text, this); }

  // The document as json::parse would make it, less what was skipped and
  // with the table as an empty array.
  json &root() { return root_; }
  bool saw_table() const { return saw_table_; } // the member, as an array
  bool not_json() const { return not_json_; }

  bool null() override { return value(nullptr); }
  bool boolean(bool v) override { return value(v); }
  bool number_integer(number_integer_t v) override { return value(v); }
  bool number_unsigned(number_unsigned_t v) override { return value(v); }
  bool number_float(number_float_t v, const string_t &) override {
    return value(v);
  }
  bool string(string_t &v) override { return value(std::move(v)); }
  bool binary(binary_t &v) override { return value(json::binary(v)); }
  bool start_object(std::size_t) override { return open(json::object()); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t &k) override {
    if (skip_ == 0)
      key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string &,
                   const nlohmann::detail::exception &) override {
    not_json_ = true;
    return false;
  }

private:
  // Where the next value goes: 0 kept, 1 skipped, 2 a row of its own.
  enum class Goes { Kept, Skipped, Row };
  Goes where() const {
    if (skip_ > 0)
      return Goes::Skipped;
    if (in_table_ && depth_ == 2)
      return Goes::Row;
    if (depth_ == 1 && !keep_others_ && key_ != table_)
      return Goes::Skipped;
    return Goes::Kept;
  }

  // The value into the document: the top, an array's next element or the
  // member of the last key.
  json *place(json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json &top = *stack_.back();
    if (top.is_array()) {
      top.push_back(std::move(v));
      return &top.back();
    }
    json &member = top[key_];
    member = std::move(v);
    return &member;
  }

  bool value(json v) {
    switch (where()) {
    case Goes::Skipped:
      return true;
    case Goes::Row:
      return row_cb_(v);
    case Goes::Kept:
      place(std::move(v));
      return true;
    }
    return true;
  }

  bool open(json container) {
    switch (where()) {
    case Goes::Skipped:
      ++skip_;
      return true;
    case Goes::Row:
      row_ = std::move(container);
      stack_.push_back(&row_);
      in_row_ = true;
      break;
    case Goes::Kept:
      if (depth_ == 1 && key_ == table_ && container.is_array())
        in_table_ = saw_table_ = true;
      stack_.push_back(place(std::move(container)));
      break;
    }
    ++depth_;
    return true;
  }

  bool close() {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    --depth_;
    stack_.pop_back();
    if (in_row_ && depth_ == 2) {
      in_row_ = false;
      return row_cb_(row_);
    }
    if (in_table_ && depth_ == 1)
      in_table_ = false;
    return true;
  }

  std::string table_;
  bool keep_others_;
  Row row_cb_;
  json root_, row_;
  std::vector<json *> stack_;
  string_t key_;
  int depth_ = 0, skip_ = 0;
  bool in_table_ = false, in_row_ = false, saw_table_ = false,
       not_json_ = false;
};

} // namespace psl::codegen
