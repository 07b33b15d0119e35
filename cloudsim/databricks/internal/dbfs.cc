#include "cloudsim/databricks/internal/dbfs.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace envctl::cloudsim::databricks {
namespace {

constexpr size_t kMaxBlockBytes = 1024 * 1024;
constexpr int64_t kDefaultReadLength = 512 * 1024;
constexpr absl::Duration kHandleIdle = absl::Minutes(10);

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool IsUnder(const std::string& path, const std::string& dir) {
  return dir == "/" ? path != "/" : absl::StartsWith(path, dir + "/");
}

Response Missing(const std::string& path) {
  return NotFound("No file or directory exists on path " + path + ".");
}

Response Exists(const std::string& path) {
  return AlreadyExists("A file or directory already exists at the input path dbfs:" + path + ".");
}

Response TooBig(const std::string& what) {
  return ErrorResponse(400, "MAX_BLOCK_SIZE_EXCEEDED",
                       "The " + what + " exceeds the maximum block size of 1048576 bytes.");
}

// Resolves the path parameter `name`; fills *error on failure.
std::optional<std::string> PathParam(const Call& call, const std::string& name, Response* error) {
  auto raw = call.Param(name);
  if (!raw || raw->empty()) {
    *error = MissingParameter(name);
    return std::nullopt;
  }
  auto norm = Dbfs::Normalize(*raw);
  if (!norm) *error = InvalidParameter("Path must be absolute: " + *raw);
  return norm;
}

}  // namespace

Dbfs::Dbfs() { nodes_["/"] = Node{true, "", 0}; }

std::optional<std::string> Dbfs::Normalize(const std::string& path) {
  std::string p = path;
  if (absl::StartsWith(p, "dbfs:")) p = p.substr(5);
  if (p.empty() || p[0] != '/') return std::nullopt;
  std::string out;
  for (char c : p) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

bool Dbfs::FileExists(const std::string& path) const {
  auto norm = Normalize(path);
  if (!norm) return false;
  auto it = nodes_.find(*norm);
  return it != nodes_.end() && !it->second.is_dir;
}

bool Dbfs::PathExists(const std::string& path) const {
  auto norm = Normalize(path);
  return norm && nodes_.count(*norm) > 0;
}

void Dbfs::WriteDataset(const std::string& path, int64_t now_ms) {
  auto norm = Normalize(path);
  if (!norm || *norm == "/") return;
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    it = it->first == *norm || IsUnder(it->first, *norm) ? nodes_.erase(it) : std::next(it);
  }
  // A file on the way (e.g. /a when writing /a/b) stays; Spark would fail there too, but
  // the notebook simulator only tracks that the data exists.
  if (MakeDirs(*norm, now_ms)) return;
  nodes_[*norm + "/_SUCCESS"] = Node{false, "", now_ms};
  nodes_[*norm + "/part-00000-cloudsim"] =
      Node{false, "written by a simulated notebook run\n", now_ms};
}

Json Dbfs::Info(const std::string& path, const Node& n) const {
  return {{"path", path},
          {"is_dir", n.is_dir},
          {"file_size", n.is_dir ? 0 : n.data.size()},
          {"modification_time", n.mtime}};
}

bool Dbfs::HasChildren(const std::string& dir) const {
  auto it = nodes_.upper_bound(dir);
  return it != nodes_.end() && IsUnder(it->first, dir);
}

Response Dbfs::Handle(const Call& call, bool* mutated) {
  ExpireHandles(call.now);
  const std::string& v = call.verb;
  if (call.method() == "GET") {
    if (v == "dbfs/read") return Read(call);
    if (v == "dbfs/get-status") return GetStatus(call);
    if (v == "dbfs/list") return List(call);
  } else {
    if (v == "dbfs/put") return Put(call, mutated);
    if (v == "dbfs/create") return Create(call, mutated);
    if (v == "dbfs/add-block") return AddBlock(call, mutated);
    if (v == "dbfs/close") return Close(call, mutated);
    if (v == "dbfs/mkdirs") return Mkdirs(call, mutated);
    if (v == "dbfs/move") return Move(call, mutated);
    if (v == "dbfs/delete") return Delete(call, mutated);
  }
  return EndpointNotFound(*call.request);
}

void Dbfs::ExpireHandles(absl::Time now) {
  for (auto it = uploads_.begin(); it != uploads_.end();) {
    it = now - it->second.last_used >= kHandleIdle ? uploads_.erase(it) : std::next(it);
  }
}

std::optional<Response> Dbfs::MakeDirs(const std::string& dir, int64_t now_ms) {
  std::vector<std::string> missing;
  for (std::string p = dir; p != "/"; p = Parent(p)) {
    auto it = nodes_.find(p);
    if (it == nodes_.end()) {
      missing.push_back(p);
      continue;
    }
    if (!it->second.is_dir) return Exists(p);
    break;
  }
  for (auto p = missing.rbegin(); p != missing.rend(); ++p) nodes_[*p] = Node{true, "", now_ms};
  return std::nullopt;
}

std::optional<Response> Dbfs::Write(const std::string& path, std::string data, bool overwrite,
                                    int64_t now_ms) {
  auto it = nodes_.find(path);
  if (it != nodes_.end() && (!overwrite || it->second.is_dir)) return Exists(path);
  if (auto err = MakeDirs(Parent(path), now_ms)) return err;
  nodes_[path] = Node{false, std::move(data), now_ms};
  return std::nullopt;
}

Response Dbfs::Put(const Call& call, bool* mutated) {
  Response error;
  auto path = PathParam(call, "path", &error);
  if (!path) return error;
  std::string data;
  if (call.multipart) {
    auto f = call.form.find("contents");
    if (f != call.form.end()) data = f->second;
  } else {
    std::string b64 = call.body.value("contents", "");
    if (!Base64Decode(b64, &data)) return InvalidParameter("contents must be base64-encoded");
    if (data.size() > kMaxBlockBytes) return TooBig("inline contents");
  }
  bool overwrite = ParseBool(call.Param("overwrite").value_or("false"), false);
  if (auto err = Write(*path, std::move(data), overwrite, ToMillis(call.now))) return *err;
  *mutated = true;
  return JsonResponse(Json::object());
}

Response Dbfs::Create(const Call& call, bool* mutated) {
  Response error;
  auto path = PathParam(call, "path", &error);
  if (!path) return error;
  bool overwrite = BoolField(call.body, "overwrite", false);
  auto it = nodes_.find(*path);
  if (it != nodes_.end() && (!overwrite || it->second.is_dir)) return Exists(*path);
  int64_t handle = next_handle_++;
  uploads_[handle] = Upload{*path, overwrite, "", call.now};
  *mutated = true;
  return JsonResponse({{"handle", handle}});
}

// Looks up the `handle` field; fills *error when missing or unknown.
static int64_t HandleParam(const Call& call, Response* error) {
  int64_t h = 0;
  auto raw = call.Param("handle");
  if (!raw) {
    *error = MissingParameter("handle");
    return -1;
  }
  if (!absl::SimpleAtoi(*raw, &h)) {
    *error = InvalidParameter("handle must be an integer");
    return -1;
  }
  return h;
}

Response Dbfs::AddBlock(const Call& call, bool* mutated) {
  Response error;
  int64_t h = HandleParam(call, &error);
  if (h < 0) return error;
  auto it = uploads_.find(h);
  if (it == uploads_.end()) return NotFound("Handle " + std::to_string(h) + " does not exist.");
  std::string data;
  if (!Base64Decode(call.body.value("data", ""), &data)) {
    return InvalidParameter("data must be base64-encoded");
  }
  if (data.size() > kMaxBlockBytes) return TooBig("block");
  it->second.data += data;
  it->second.last_used = call.now;
  *mutated = true;
  return JsonResponse(Json::object());
}

Response Dbfs::Close(const Call& call, bool* mutated) {
  Response error;
  int64_t h = HandleParam(call, &error);
  if (h < 0) return error;
  auto it = uploads_.find(h);
  if (it == uploads_.end()) return NotFound("Handle " + std::to_string(h) + " does not exist.");
  Upload upload = std::move(it->second);
  uploads_.erase(it);
  *mutated = true;
  if (auto err = Write(upload.path, std::move(upload.data), upload.overwrite, ToMillis(call.now))) {
    return *err;
  }
  return JsonResponse(Json::object());
}

Response Dbfs::Read(const Call& call) {
  Response error;
  auto path = PathParam(call, "path", &error);
  if (!path) return error;
  int64_t offset = 0, length = kDefaultReadLength;
  if (auto o = call.Param("offset"); o && !absl::SimpleAtoi(*o, &offset)) {
    return InvalidParameter("offset must be an integer");
  }
  if (auto l = call.Param("length"); l && !absl::SimpleAtoi(*l, &length)) {
    return InvalidParameter("length must be an integer");
  }
  if (offset < 0 || length < 0) {
    return InvalidParameter("offset and length must be non-negative");
  }
  if (length > static_cast<int64_t>(kMaxBlockBytes)) {
    return ErrorResponse(
        400, "MAX_READ_SIZE_EXCEEDED",
        "Cannot read more than 1048576 bytes at once (length " + std::to_string(length) + ").");
  }
  auto it = nodes_.find(*path);
  if (it == nodes_.end()) return Missing(*path);
  if (it->second.is_dir) return InvalidParameter("Path " + *path + " is a directory.");
  const std::string& data = it->second.data;
  std::string chunk =
      offset >= static_cast<int64_t>(data.size()) ? std::string() : data.substr(offset, length);
  return JsonResponse({{"bytes_read", chunk.size()}, {"data", Base64Encode(chunk)}});
}

Response Dbfs::GetStatus(const Call& call) {
  Response error;
  auto path = PathParam(call, "path", &error);
  if (!path) return error;
  auto it = nodes_.find(*path);
  if (it == nodes_.end()) return Missing(*path);
  return JsonResponse(Info(*path, it->second));
}

Response Dbfs::List(const Call& call) {
  Response error;
  auto path = PathParam(call, "path", &error);
  if (!path) return error;
  auto it = nodes_.find(*path);
  if (it == nodes_.end()) return Missing(*path);
  Json files = Json::array();
  if (!it->second.is_dir) {
    files.push_back(Info(*path, it->second));
  } else {
    for (auto c = nodes_.upper_bound(*path); c != nodes_.end() && IsUnder(c->first, *path); ++c) {
      if (Parent(c->first) == *path) files.push_back(Info(c->first, c->second));
    }
  }
  Json out = Json::object();
  if (!files.empty()) out["files"] = std::move(files);
  return JsonResponse(out);
}

Response Dbfs::Mkdirs(const Call& call, bool* mutated) {
  Response error;
  auto path = PathParam(call, "path", &error);
  if (!path) return error;
  if (auto err = MakeDirs(*path, ToMillis(call.now))) return *err;
  *mutated = true;
  return JsonResponse(Json::object());
}

Response Dbfs::Move(const Call& call, bool* mutated) {
  Response error;
  auto src = PathParam(call, "source_path", &error);
  if (!src) return error;
  auto dst = PathParam(call, "destination_path", &error);
  if (!dst) return error;
  if (!nodes_.count(*src)) return Missing(*src);
  if (nodes_.count(*dst)) return Exists(*dst);
  if (*src == "/" || IsUnder(*dst, *src)) {
    return InvalidParameter("Cannot move " + *src + " into itself.");
  }
  if (auto err = MakeDirs(Parent(*dst), ToMillis(call.now))) return *err;
  std::vector<std::pair<std::string, Node>> moved;
  auto it = nodes_.find(*src);
  moved.emplace_back(*dst, std::move(it->second));
  it = nodes_.erase(it);
  while (it != nodes_.end() && IsUnder(it->first, *src)) {
    moved.emplace_back(*dst + it->first.substr(src->size()), std::move(it->second));
    it = nodes_.erase(it);
  }
  for (auto& [p, n] : moved) nodes_[p] = std::move(n);
  *mutated = true;
  return JsonResponse(Json::object());
}

Response Dbfs::Delete(const Call& call, bool* mutated) {
  Response error;
  auto path = PathParam(call, "path", &error);
  if (!path) return error;
  auto it = nodes_.find(*path);
  // Deleting a missing path succeeds, like `rm -f`.
  if (it == nodes_.end()) return JsonResponse(Json::object());
  if (*path == "/") return InvalidParameter("The DBFS root cannot be deleted.");
  if (it->second.is_dir && HasChildren(*path)) {
    if (!BoolField(call.body, "recursive", false)) {
      return ErrorResponse(
          400, "IO_ERROR",
          "Directory " + *path + " is not empty; use recursive=true to delete it.");
    }
    auto c = nodes_.upper_bound(*path);
    while (c != nodes_.end() && IsUnder(c->first, *path)) c = nodes_.erase(c);
  }
  nodes_.erase(*path);
  *mutated = true;
  return JsonResponse(Json::object());
}

Json Dbfs::Save() const {
  Json nodes = Json::array();
  for (const auto& [path, n] : nodes_) {
    nodes.push_back(
        {{"path", path}, {"is_dir", n.is_dir}, {"data", Base64Encode(n.data)}, {"mtime", n.mtime}});
  }
  // Open upload handles are not persisted: a restart loses them, as a gateway restart would.
  return {{"nodes", nodes}, {"next_handle", next_handle_}};
}

absl::Status Dbfs::Load(const Json& state) {
  std::map<std::string, Node> nodes;
  for (const Json& j : state.at("nodes")) {
    Node n;
    n.is_dir = j.at("is_dir").get<bool>();
    if (!Base64Decode(j.at("data").get<std::string>(), &n.data)) {
      return absl::DataLossError("DBFS file data is not base64");
    }
    n.mtime = j.at("mtime").get<int64_t>();
    nodes[j.at("path").get<std::string>()] = std::move(n);
  }
  nodes["/"].is_dir = true;
  nodes_ = std::move(nodes);
  uploads_.clear();
  next_handle_ = state.at("next_handle").get<int64_t>();
  return absl::OkStatus();
}

}  // namespace envctl::cloudsim::databricks
