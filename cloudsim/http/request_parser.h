// RequestParser: Beast's HTTP/1.1 request parser (basic_parser) with cloudsim's limits,
// building cloudsim's Request directly. Beast's own http::parser keeps fields in
// basic_fields, which throws for a header over 64 KiB; here an oversized line is a parse
// error (error::header_limit) that says what was too long. One per request, used by one
// thread at a time; only cloudsim/http/server.cc includes it (it compiles Beast).
#ifndef ENVCTL_CLOUDSIM_HTTP_REQUEST_PARSER_H_
#define ENVCTL_CLOUDSIM_HTTP_REQUEST_PARSER_H_

#include <algorithm>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cloudsim/http/http_types.h"

namespace envctl::cloudsim {

class RequestParser final : public boost::beast::http::basic_parser<true> {
  using string_view = boost::beast::string_view;
  using error_code = boost::system::error_code;
  using field = boost::beast::http::field;
  using verb = boost::beast::http::verb;

 public:
  enum class Refusal { kNone, kTargetTooLong, kHeaderTooLong, kTooManyHeaders };

  RequestParser(size_t max_line_bytes, int max_header_lines)
      : max_line_bytes_(max_line_bytes), max_header_lines_(max_header_lines) {}

  Request& request() { return request_; }
  // The request target as sent (not decoded).
  const std::string& target() const { return target_; }
  // Why the parser stopped with error::header_limit, when a single line was at fault.
  Refusal refusal() const { return refusal_; }
  const std::string& refused_header() const { return refused_header_; }

 private:
  void on_request_impl(verb, string_view method, string_view target, int, error_code& ec) override {
    request_.method.assign(method.data(), method.size());
    if (target.size() > max_line_bytes_) {
      refusal_ = Refusal::kTargetTooLong;
      ec = boost::beast::http::error::header_limit;
      return;
    }
    target_.assign(target.data(), target.size());
  }
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(field, string_view name, string_view value, error_code& ec) override {
    if (++header_lines_ > max_header_lines_) {
      refusal_ = Refusal::kTooManyHeaders;
      ec = boost::beast::http::error::header_limit;
      return;
    }
    if (name.size() + 2 + value.size() > max_line_bytes_) {
      refusal_ = Refusal::kHeaderTooLong;
      refused_header_.assign(name.data(), std::min<size_t>(name.size(), 100));
      ec = boost::beast::http::error::header_limit;
      return;
    }
    // Repeated headers are joined, as RFC 9110 §5.3 allows.
    auto [it, inserted] = request_.headers.emplace(std::string(name.data(), name.size()),
                                                   std::string(value.data(), value.size()));
    if (!inserted)
      absl::StrAppend(&it->second, ", ", absl::string_view(value.data(), value.size()));
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    // Announced, not yet sent: reserve at most 1 MiB up front.
    if (length)
      request_.body.reserve(static_cast<size_t>(std::min<std::uint64_t>(*length, 1 << 20)));
  }
  size_t on_body_impl(string_view body, error_code&) override {
    request_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    request_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  const size_t max_line_bytes_;
  const int max_header_lines_;
  Request request_;
  std::string target_;
  int header_lines_ = 0;
  Refusal refusal_ = Refusal::kNone;
  std::string refused_header_;
};

}  // namespace envctl::cloudsim

#endif  // ENVCTL_CLOUDSIM_HTTP_REQUEST_PARSER_H_
