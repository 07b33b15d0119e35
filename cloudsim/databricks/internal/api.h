// Helpers shared by the workspace API handlers: Databricks-shaped JSON responses and
// errors, request bodies (JSON and multipart/form-data), base64, query booleans, and
// the Call a handler receives. Stateless; safe from any thread.
#ifndef ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_API_H_
#define ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_API_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "cloudsim/http/http_types.h"
#include "nlohmann/json.hpp"

namespace envctl::cloudsim::databricks {

using Json = nlohmann::json;

// One authenticated API call, as the handlers see it: `verb` is the path after
// /api/<version>/ (e.g. "workspace/list"), `body` the parsed JSON body (an object; {} when
// empty), or the multipart fields when the body was multipart/form-data.
struct Call {
  const Request* request = nullptr;
  std::string version;  // "2.0", "2.1", "2.2"
  std::string verb;
  Json body = Json::object();
  std::map<std::string, std::string> form;  // multipart/form-data fields (file parts too)
  bool multipart = false;
  std::string principal;  // user name of the caller
  bool pat = false;       // authenticated with a personal access token (not Entra ID)
  absl::Time now;

  const std::string& method() const { return request->method; }
  // The query parameter, or for a POST a top-level string/number field of the body.
  std::optional<std::string> Param(const std::string& name) const;
};

Response JsonResponse(const Json& body, int status = 200);
Response ErrorResponse(int status, const std::string& code, const std::string& message);
// 400 INVALID_PARAMETER_VALUE.
Response InvalidParameter(const std::string& message);
Response MissingParameter(const std::string& name);
Response NotFound(const std::string& message);       // 404 RESOURCE_DOES_NOT_EXIST
Response AlreadyExists(const std::string& message);  // 400 RESOURCE_ALREADY_EXISTS
Response EndpointNotFound(const Request& request);   // 404 ENDPOINT_NOT_FOUND

// Parses `request.body` into `call` (JSON or multipart). Returns an error response on a
// malformed body.
std::optional<Response> ParseBody(const Request& request, Call* call);

bool Base64Decode(const std::string& in, std::string* out);
std::string Base64Encode(const std::string& in);

// "true"/"false" (any case); anything else is `fallback`.
bool ParseBool(const std::string& s, bool fallback);
// Reads a boolean from a JSON body field or query string value.
bool BoolField(const Json& body, const std::string& name, bool fallback);

int64_t ToMillis(absl::Time t);

}  // namespace envctl::cloudsim::databricks

#endif  // ENVCTL_CLOUDSIM_DATABRICKS_INTERNAL_API_H_
