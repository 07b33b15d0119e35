#include "cloudsim/databricks/internal/libraries.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"

namespace envctl::cloudsim::databricks {
namespace {

// The DBFS path of a jar/whl/egg library and its kind, or "" for other libraries.
std::string DbfsLibraryPath(const Json& lib, std::string* kind) {
  for (const char* k : {"jar", "whl", "egg"}) {
    if (!lib.contains(k) || !lib[k].is_string()) continue;
    std::string path = lib[k].get<std::string>();
    *kind = k;
    bool on_dbfs = absl::StartsWith(path, "dbfs:/") ||
                   (absl::StartsWith(path, "/") && !absl::StartsWith(path, "/Volumes/") &&
                    !absl::StartsWith(path, "/Workspace/"));
    return on_dbfs ? path : "";
  }
  return "";
}

}  // namespace

std::string ClusterLibraries::Check(const Json& libraries) {
  if (!libraries.is_array() || libraries.empty()) {
    return "libraries must be a non-empty array of libraries.";
  }
  for (const Json& lib : libraries) {
    if (!lib.is_object() || lib.size() != 1) {
      return "Each library must be an object with exactly one of jar, whl, egg, requirements, "
             "pypi, maven or cran: " +
             lib.dump();
    }
    const std::string kind = lib.begin().key();
    const Json& value = lib.begin().value();
    bool ok = false;
    if (kind == "jar" || kind == "whl" || kind == "egg" || kind == "requirements") {
      ok = value.is_string() && !value.get<std::string>().empty();
    } else if (kind == "pypi" || kind == "cran") {
      ok = value.is_object() && value.contains("package") && value["package"].is_string();
    } else if (kind == "maven") {
      ok = value.is_object() && value.contains("coordinates") && value["coordinates"].is_string();
    }
    if (!ok) return "Invalid library specification: " + lib.dump();
  }
  return "";
}

void ClusterLibraries::Install(const std::string& id, const Json& libraries, absl::Time now,
                               const std::function<bool(const std::string&)>& file_exists) {
  std::vector<Entry>& entries = by_cluster_[id];
  for (const Json& lib : libraries) {
    auto same = std::find_if(entries.begin(), entries.end(),
                             [&](const Entry& e) { return e.library == lib; });
    if (same != entries.end()) {
      same->uninstall = false;  // asked for again before the restart: it stays
      continue;
    }
    Entry e;
    e.library = lib;
    e.requested = now;
    std::string kind;
    std::string path = DbfsLibraryPath(lib, &kind);
    if (!path.empty() && !(file_exists && file_exists(path))) {
      e.failure = "Library installation failed for library due to user error for " + kind + ": \"" +
                  path + "\". Error messages: java.io.FileNotFoundException: " + path +
                  " (No such file or directory)";
    }
    entries.push_back(std::move(e));
  }
}

void ClusterLibraries::Uninstall(const std::string& id, const Json& libraries) {
  auto it = by_cluster_.find(id);
  if (it == by_cluster_.end()) return;
  for (Entry& e : it->second) {
    for (const Json& lib : libraries) {
      if (e.library == lib) e.uninstall = true;
    }
  }
}

void ClusterLibraries::Restart(const std::string& id) {
  auto it = by_cluster_.find(id);
  if (it == by_cluster_.end()) return;
  std::vector<Entry>& entries = it->second;
  entries.erase(
      std::remove_if(entries.begin(), entries.end(), [](const Entry& e) { return e.uninstall; }),
      entries.end());
  if (entries.empty()) by_cluster_.erase(it);
}

Json ClusterLibraries::Statuses(const std::string& id, std::optional<absl::Time> running_since,
                                absl::Time now) const {
  Json out = Json::array();
  auto it = by_cluster_.find(id);
  if (it == by_cluster_.end()) return out;
  // Libraries to install first, in request order; those marked for removal last.
  for (bool removing : {false, true}) {
    for (const Entry& e : it->second) {
      if (e.uninstall != removing) continue;
      std::string status = "PENDING";
      Json messages = Json::array();
      if (e.uninstall) {
        status = "UNINSTALL_ON_RESTART";
      } else if (running_since) {
        absl::Duration since = now - std::max(e.requested, *running_since);
        if (since >= (kLibraryPendingTime + kLibraryInstallTime) / speed_) {
          status = e.failure.empty() ? "INSTALLED" : "FAILED";
          if (!e.failure.empty()) messages.push_back(e.failure);
        } else if (since >= kLibraryPendingTime / speed_) {
          status = "INSTALLING";
        }
      }
      Json s = {{"library", e.library}, {"status", status}, {"is_library_for_all_clusters", false}};
      if (!messages.empty()) s["messages"] = messages;
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::vector<std::string> ClusterLibraries::Clusters() const {
  std::vector<std::string> ids;
  for (const auto& [id, entries] : by_cluster_) ids.push_back(id);
  return ids;
}

Json ClusterLibraries::Save() const {
  Json out = Json::object();
  for (const auto& [id, entries] : by_cluster_) {
    Json list = Json::array();
    for (const Entry& e : entries) {
      list.push_back({{"library", e.library},
                      {"requested", absl::ToUnixMicros(e.requested)},
                      {"uninstall", e.uninstall},
                      {"failure", e.failure}});
    }
    out[id] = std::move(list);
  }
  return out;
}

absl::Status ClusterLibraries::Load(const Json& state) {
  std::map<std::string, std::vector<Entry>> loaded;
  for (const auto& [id, list] : state.items()) {
    for (const Json& j : list) {
      Entry e;
      e.library = j.at("library");
      e.requested = absl::FromUnixMicros(j.at("requested").get<int64_t>());
      e.uninstall = j.at("uninstall").get<bool>();
      e.failure = j.at("failure").get<std::string>();
      loaded[id].push_back(std::move(e));
    }
  }
  by_cluster_ = std::move(loaded);
  return absl::OkStatus();
}

}  // namespace envctl::cloudsim::databricks
