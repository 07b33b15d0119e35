#include "cloudsim/databricks/internal/object_tree.h"

#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cloudsim/databricks/internal/notebook_source.h"

namespace envctl::cloudsim::databricks {
namespace {

constexpr size_t kMaxNotebookBytes = 10 * 1024 * 1024;

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string BaseName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

Response PathMissing(const std::string& path) {
  return NotFound("Path (" + path + ") doesn't exist.");
}

bool IsUnder(const std::string& path, const std::string& dir) {
  return dir == "/" ? path != "/" : absl::StartsWith(path, dir + "/");
}

}  // namespace

ObjectTree::ObjectTree(absl::Time now) {
  int64_t ms = ToMillis(now);
  for (const char* dir : {"/", "/Users", "/Shared", "/Repos"}) {
    objects_[dir] = Object{"DIRECTORY", "", "", next_object_id_++, ms, ms};
  }
}

std::optional<std::string> ObjectTree::Normalize(const std::string& path) {
  if (path.empty() || path[0] != '/') return std::nullopt;
  std::string p;
  // Collapse repeated slashes and drop a trailing one.
  for (char c : path) {
    if (c == '/' && !p.empty() && p.back() == '/') continue;
    p.push_back(c);
  }
  if (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p == "/Workspace") return "/";
  if (absl::StartsWith(p, "/Workspace/")) p = p.substr(strlen("/Workspace"));
  return p;
}

const ObjectTree::Object* ObjectTree::Find(const std::string& path) const {
  auto norm = Normalize(path);
  if (!norm) return nullptr;
  auto it = objects_.find(*norm);
  return it == objects_.end() ? nullptr : &it->second;
}

Json ObjectTree::Info(const std::string& path, const Object& o) const {
  Json j = {{"object_type", o.type},      {"path", path},
            {"object_id", o.object_id},   {"resource_id", std::to_string(o.object_id)},
            {"created_at", o.created_at}, {"modified_at", o.modified_at}};
  if (o.type == "NOTEBOOK") {
    j["language"] = o.language;
    j["size"] = ExportSource(o.language, o.content).size();
  } else if (o.type == "FILE") {
    j["size"] = o.content.size();
  }
  return j;
}

bool ObjectTree::HasChildren(const std::string& dir) const {
  auto it = objects_.upper_bound(dir);
  return it != objects_.end() && IsUnder(it->first, dir);
}

std::optional<std::string> ObjectTree::PathOfId(int64_t object_id) const {
  for (const auto& [path, o] : objects_) {
    if (o.object_id == object_id) return path;
  }
  return std::nullopt;
}

Response ObjectTree::Handle(const Call& call, bool* mutated) {
  const std::string& v = call.verb;
  bool get = call.method() == "GET";
  if (get && v == "workspace/get-status") return GetStatus(call);
  if (get && v == "workspace/list") return List(call);
  if (get && v == "workspace/export") return Export(call);
  if (!get && v == "workspace/mkdirs") return Mkdirs(call, mutated);
  if (!get && v == "workspace/import") return Import(call, mutated);
  if (!get && v == "workspace/delete") return Delete(call, mutated);
  return EndpointNotFound(*call.request);
}

// Resolves the `path` parameter; on failure fills *error.
static std::optional<std::string> PathParam(const Call& call, Response* error) {
  auto raw = call.Param("path");
  if (!raw || raw->empty()) {
    *error = MissingParameter("path");
    return std::nullopt;
  }
  auto norm = ObjectTree::Normalize(*raw);
  if (!norm) *error = InvalidParameter("Path (" + *raw + ") must be an absolute path.");
  return norm;
}

Response ObjectTree::GetStatus(const Call& call) {
  Response error;
  auto path = PathParam(call, &error);
  if (!path) return error;
  auto it = objects_.find(*path);
  if (it == objects_.end()) return PathMissing(*path);
  return JsonResponse(Info(*path, it->second));
}

Response ObjectTree::List(const Call& call) {
  Response error;
  auto path = PathParam(call, &error);
  if (!path) return error;
  auto it = objects_.find(*path);
  if (it == objects_.end()) return PathMissing(*path);
  int64_t modified_after = -1;
  if (auto m = call.Param("notebooks_modified_after")) {
    if (!absl::SimpleAtoi(*m, &modified_after)) {
      return InvalidParameter("notebooks_modified_after must be an integer");
    }
  }
  Json objects = Json::array();
  if (it->second.type != "DIRECTORY") {
    objects.push_back(Info(*path, it->second));
  } else {
    for (auto c = objects_.upper_bound(*path); c != objects_.end() && IsUnder(c->first, *path);
         ++c) {
      if (Parent(c->first) != *path) continue;
      if (c->second.type == "NOTEBOOK" && c->second.modified_at <= modified_after) continue;
      objects.push_back(Info(c->first, c->second));
    }
  }
  Json out = Json::object();
  if (!objects.empty()) out["objects"] = std::move(objects);
  return JsonResponse(out);
}

std::optional<Response> ObjectTree::MakeDirs(const std::string& dir, int64_t now_ms,
                                             bool* mutated) {
  std::vector<std::string> missing;
  for (std::string p = dir; p != "/"; p = Parent(p)) {
    auto it = objects_.find(p);
    if (it == objects_.end()) {
      missing.push_back(p);
      continue;
    }
    if (it->second.type != "DIRECTORY") {
      return AlreadyExists("Cannot create directory " + dir + " because " + p + " is an existing " +
                           absl::AsciiStrToLower(it->second.type) + ".");
    }
    break;
  }
  for (auto p = missing.rbegin(); p != missing.rend(); ++p) {
    objects_[*p] = Object{"DIRECTORY", "", "", next_object_id_++, now_ms, now_ms};
    *mutated = true;
  }
  return std::nullopt;
}

Response ObjectTree::Mkdirs(const Call& call, bool* mutated) {
  Response error;
  auto path = PathParam(call, &error);
  if (!path) return error;
  if (auto err = MakeDirs(*path, ToMillis(call.now), mutated)) return *err;
  return JsonResponse(Json::object());
}

Response ObjectTree::Import(const Call& call, bool* mutated) {
  Response error;
  auto path = PathParam(call, &error);
  if (!path) return error;
  std::string content;
  if (call.multipart) {
    auto f = call.form.find("content");
    if (f != call.form.end()) content = f->second;
  } else if (call.body.contains("content")) {
    if (!call.body["content"].is_string() ||
        !Base64Decode(call.body["content"].get<std::string>(), &content)) {
      return InvalidParameter("content must be base64-encoded");
    }
  }
  if (content.size() > kMaxNotebookBytes) {
    return ErrorResponse(400, "MAX_NOTEBOOK_SIZE_EXCEEDED",
                         "File size imported is (" + std::to_string(content.size()) +
                             " bytes), exceeded max size (10485760 bytes)");
  }
  std::string format = call.Param("format").value_or("SOURCE");
  std::string language = call.Param("language").value_or("");
  bool overwrite = ParseBool(call.Param("overwrite").value_or("false"), false);

  Object obj;
  std::string target = *path;
  if (format == "SOURCE") {
    if (language.empty()) {
      return InvalidParameter(
          "The language field is required to import a single SOURCE file (cloudsim does not "
          "import directories).");
    }
    if (!CommentMarker(language)) return InvalidParameter("Invalid language: " + language);
    obj.type = "NOTEBOOK";
    obj.language = language;
    obj.content = StripNotebookHeader(language, content);
  } else if (format == "AUTO") {
    std::string name = BaseName(target);
    size_t dot = name.rfind('.');
    std::optional<std::string> lang;
    if (dot != std::string::npos && dot > 0) lang = LanguageForExtension(name.substr(dot + 1));
    if (lang && HasNotebookHeader(*lang, content)) {
      obj.type = "NOTEBOOK";
      obj.language = *lang;
      obj.content = StripNotebookHeader(*lang, content);
      target = target.substr(0, target.size() - (name.size() - dot));
    } else {
      obj.type = "FILE";
      obj.content = content;
    }
  } else if (format == "RAW") {
    obj.type = "FILE";
    obj.content = content;
  } else if (format == "HTML" || format == "JUPYTER" || format == "DBC" || format == "R_MARKDOWN") {
    return InvalidParameter("cloudsim does not support importing format " + format +
                            "; use SOURCE, AUTO or RAW.");
  } else {
    return InvalidParameter("Invalid format: " + format +
                            ". Expected one of SOURCE, HTML, JUPYTER, DBC, R_MARKDOWN, AUTO, RAW.");
  }

  std::string parent = Parent(target);
  auto p = objects_.find(parent);
  if (p == objects_.end()) return PathMissing(parent);
  if (p->second.type != "DIRECTORY") {
    return InvalidParameter("Path (" + parent + ") is not a directory.");
  }
  int64_t now_ms = ToMillis(call.now);
  auto existing = objects_.find(target);
  if (existing != objects_.end()) {
    if (!overwrite || existing->second.type == "DIRECTORY") {
      return AlreadyExists("Node named '" + BaseName(target) + "' already exists");
    }
    obj.object_id = existing->second.object_id;
    obj.created_at = existing->second.created_at;
  } else {
    obj.object_id = next_object_id_++;
    obj.created_at = now_ms;
  }
  obj.modified_at = now_ms;
  objects_[target] = std::move(obj);
  *mutated = true;
  return JsonResponse(Json::object());
}

Response ObjectTree::Export(const Call& call) {
  Response error;
  auto path = PathParam(call, &error);
  if (!path) return error;
  auto it = objects_.find(*path);
  if (it == objects_.end()) return PathMissing(*path);
  const Object& o = it->second;
  std::string format = call.Param("format").value_or("SOURCE");
  if (format != "SOURCE" && format != "AUTO" && format != "RAW" && format != "HTML" &&
      format != "JUPYTER" && format != "DBC" && format != "R_MARKDOWN") {
    return InvalidParameter("Invalid format: " + format);
  }
  if (o.type == "DIRECTORY") {
    return InvalidParameter("cloudsim does not export directories (" + *path + ").");
  }
  std::string bytes;
  std::string file_type;
  if (o.type == "NOTEBOOK") {
    if (format != "SOURCE" && format != "AUTO") {
      return InvalidParameter("cloudsim exports notebooks only as SOURCE or AUTO, not " + format +
                              ".");
    }
    bytes = ExportSource(o.language, o.content);
    file_type = FileExtension(o.language);
  } else {
    bytes = o.content;
    std::string name = BaseName(*path);
    size_t dot = name.rfind('.');
    if (dot != std::string::npos) file_type = name.substr(dot + 1);
  }
  if (bytes.size() > kMaxNotebookBytes) {
    return ErrorResponse(400, "MAX_NOTEBOOK_SIZE_EXCEEDED",
                         "Exported content is larger than 10485760 bytes");
  }
  if (ParseBool(call.Param("direct_download").value_or("false"), false)) {
    Response r;
    r.headers["Content-Type"] = "application/octet-stream";
    r.body = std::move(bytes);
    return r;
  }
  Json out = {{"content", Base64Encode(bytes)}};
  if (!file_type.empty()) out["file_type"] = file_type;
  return JsonResponse(out);
}

Response ObjectTree::Delete(const Call& call, bool* mutated) {
  Response error;
  auto path = PathParam(call, &error);
  if (!path) return error;
  if (*path == "/") return InvalidParameter("The workspace root cannot be deleted.");
  auto it = objects_.find(*path);
  if (it == objects_.end()) return PathMissing(*path);
  bool recursive = BoolField(call.body, "recursive", false);
  if (it->second.type == "DIRECTORY" && HasChildren(*path)) {
    if (!recursive) {
      return ErrorResponse(400, "DIRECTORY_NOT_EMPTY", "Folder (" + *path + ") is not empty");
    }
    auto c = objects_.upper_bound(*path);
    while (c != objects_.end() && IsUnder(c->first, *path)) c = objects_.erase(c);
  }
  objects_.erase(*path);
  *mutated = true;
  return JsonResponse(Json::object());
}

Json ObjectTree::Save() const {
  Json objects = Json::array();
  for (const auto& [path, o] : objects_) {
    objects.push_back({{"path", path},
                       {"type", o.type},
                       {"language", o.language},
                       {"content", Base64Encode(o.content)},
                       {"object_id", o.object_id},
                       {"created_at", o.created_at},
                       {"modified_at", o.modified_at}});
  }
  return {{"objects", objects}, {"next_object_id", next_object_id_}};
}

absl::Status ObjectTree::Load(const Json& state) {
  std::map<std::string, Object> objects;
  for (const Json& j : state.at("objects")) {
    Object o;
    o.type = j.at("type").get<std::string>();
    o.language = j.value("language", "");
    if (!Base64Decode(j.at("content").get<std::string>(), &o.content)) {
      return absl::DataLossError("workspace object content is not base64");
    }
    o.object_id = j.at("object_id").get<int64_t>();
    o.created_at = j.value("created_at", int64_t{0});
    o.modified_at = j.value("modified_at", int64_t{0});
    objects[j.at("path").get<std::string>()] = std::move(o);
  }
  if (!objects.count("/")) return absl::DataLossError("workspace state has no root directory");
  objects_ = std::move(objects);
  next_object_id_ = state.at("next_object_id").get<int64_t>();
  return absl::OkStatus();
}

}  // namespace envctl::cloudsim::databricks
