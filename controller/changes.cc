#include "controller/changes.h"

namespace envctl::controller {

namespace {

envctl::v1::ChangeAction ActionOf(const ResourceOutcome& o) {
  if (o.reported_only) return envctl::v1::CHANGE_ACTION_DRIFT;
  switch (o.action) {
    case reconcilers::Action::kNone:
      return envctl::v1::CHANGE_ACTION_NONE;
    case reconcilers::Action::kCreate:
      return envctl::v1::CHANGE_ACTION_CREATE;
    case reconcilers::Action::kUpdate:
      return envctl::v1::CHANGE_ACTION_UPDATE;
    case reconcilers::Action::kDelete:
      return envctl::v1::CHANGE_ACTION_DELETE;
    case reconcilers::Action::kRun:
      return envctl::v1::CHANGE_ACTION_RUN;
  }
  return envctl::v1::CHANGE_ACTION_UNSPECIFIED;
}

}  // namespace

envctl::v1::ResourceChange ToResourceChange(const ResourceOutcome& o) {
  envctl::v1::ResourceChange change;
  change.set_resource(o.name);
  change.set_kind(o.kind);
  change.set_action(ActionOf(o));
  change.set_wave(o.wave);
  std::string reason = o.reason;
  if (!o.status.ok())
    reason = std::string(o.status.message());
  else if (!o.blocked_by.empty())
    reason = "blocked by " + o.blocked_by;
  change.set_reason(reason);
  for (const auto& f : o.fields) {
    envctl::v1::FieldDiff* d = change.add_fields();
    d->set_path(f.path);
    d->set_old_value(f.sensitive ? "(sensitive)" : f.old_value);
    d->set_new_value(f.sensitive ? "(sensitive)" : f.new_value);
  }
  return change;
}

}  // namespace envctl::controller
