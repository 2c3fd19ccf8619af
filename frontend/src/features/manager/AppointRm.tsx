// Appointing an RM (`/rms/new`, admin and manager): the entry requirements stated first from the
// policy in force (O-4, O-5, O-6, O-3), then the form; a refusal names the requirement not met.

import { useState } from "react";
import { api, ok, type Schemas } from "../../api/client";
import { useCommand } from "../../api/queries";
import { CommandForm, Outcome, SelectField, TextField, useFieldError } from "../../components/forms";
import { useI18n } from "../../i18n";
import { Link } from "../../router";
import { GRADES, LINES, useOrgUnits, usePolicy } from "./lookups";
import { useMayManage } from "./slots";

type Line = Schemas["Line"];
type Grade = Schemas["Grade"];

export function AppointRm() {
  const { t } = useI18n();
  const mayManage = useMayManage();
  return (
    <section aria-labelledby="appoint-title">
      <p>
        <Link to="/rms">← {t("rm.back")}</Link>
      </p>
      <h1 id="appoint-title">{t("manager.appoint.title")}</h1>
      <Requirements />
      {mayManage ? <AppointForm /> : <p className="notice notice-warning">{t("manager.appoint.notYours")}</p>}
    </section>
  );
}

function Requirements() {
  const { t } = useI18n();
  const policy = usePolicy();
  const q = policy.data?.policy.qualification;
  return (
    <section className="card" aria-labelledby="requirements-title" data-testid="entry-requirements">
      <h2 id="requirements-title">{t("manager.appoint.requirements")}</h2>
      <ul>
        <li>{t("manager.appoint.req.record")}</li>
        <li>{q ? t("manager.appoint.req.exam", { years: q.validity_years }) : t("manager.appoint.req.examPlain")}</li>
        <li>{q ? t("manager.appoint.req.counter", { years: q.min_counter_experience_years }) : t("manager.appoint.req.counterPlain")}</li>
        <li>{t("manager.appoint.req.ban")}</li>
        <li>{t("manager.appoint.req.grade")}</li>
        <li>{q ? t("manager.appoint.req.term", { years: q.term_years }) : t("manager.appoint.req.termPlain")}</li>
      </ul>
    </section>
  );
}

function AppointForm() {
  const { t, code } = useI18n();
  const units = useOrgUnits();
  const [name, setName] = useState("");
  const [employeeNo, setEmployeeNo] = useState("");
  const [nationalId, setNationalId] = useState("");
  const [line, setLine] = useState<Line | "">("");
  const [grade, setGrade] = useState<Grade | "">("");
  const [unitId, setUnitId] = useState("");
  const [qualifiedOn, setQualifiedOn] = useState("");
  const [years, setYears] = useState("");
  const [badRecord, setBadRecord] = useState(false);
  const [termStart, setTermStart] = useState("");
  const appoint = useCommand(
    () =>
      ok(
        api.POST("/api/v1/rms", {
          body: {
            name: name.trim(),
            employee_no: employeeNo.trim(),
            national_id: nationalId.trim().toUpperCase(),
            line: line as Line,
            grade: grade as Grade,
            org_unit_id: unitId,
            qualified_on: qualifiedOn,
            counter_experience_years: years.trim() === "" ? undefined : Number(years),
            bad_business_record: badRecord,
            term_starts_on: termStart || undefined,
          },
        }),
      ),
    ["rms", "org-units"],
  );
  return (
    <section className="card" aria-labelledby="appoint-form-title">
      <h2 id="appoint-form-title">{t("manager.appoint.form")}</h2>
      <CommandForm onSubmit={() => void appoint.run()} error={appoint.error} busy={appoint.busy} submit={t("manager.appoint.submit")} testId="appoint-form">
        <TextField name="name" label={t("customers.name")} required maxLength={100} value={name} onChange={setName} />
        <TextField name="employee_no" label={t("rms.employeeNo")} required maxLength={32} value={employeeNo} onChange={setEmployeeNo} />
        <TextField name="national_id" label={t("customer.nationalId")} hint={t("manager.appoint.nationalIdHint")} required maxLength={18} value={nationalId} onChange={setNationalId} />
        <SelectField<Line> name="line" label={t("rms.line")} required value={line} onChange={setLine} options={LINES.map((l) => ({ value: l, label: code(l) }))} />
        <SelectField<Grade> name="grade" label={t("rms.grade")} required value={grade} onChange={setGrade} options={GRADES.map((g) => ({ value: g, label: code(g) }))} />
        <SelectField<string>
          name="org_unit_id"
          label={t("manager.unit")}
          required
          value={unitId}
          onChange={setUnitId}
          options={(units.data ?? []).map((u) => ({ value: u.id, label: `${u.name} (${code(u.kind)})` }))}
        />
        <TextField name="qualified_on" type="date" label={t("manager.appoint.qualifiedOn")} required value={qualifiedOn} onChange={setQualifiedOn} />
        <TextField name="counter_experience_years" type="number" label={t("manager.appoint.counterYears")} value={years} onChange={setYears} />
        <Checkbox name="bad_business_record" label={t("manager.appoint.badRecord")} checked={badRecord} onChange={setBadRecord} />
        <TextField name="term_starts_on" type="date" label={t("manager.appoint.termStart")} hint={t("manager.appoint.termStartHint")} value={termStart} onChange={setTermStart} />
      </CommandForm>
      {appoint.result && (
        <div data-testid="appointed">
          <Outcome waiting={false} done={t("manager.appoint.done", { name: appoint.result.name })} />
          <p>
            <Link to={`/rms/${appoint.result.id}`}>{t("manager.appoint.open", { name: appoint.result.name })}</Link>
          </p>
        </div>
      )}
    </section>
  );
}

/** A labelled checkbox with the API's message for its field. */
function Checkbox({ name, label, checked, onChange }: { name: string; label: string; checked: boolean; onChange: (checked: boolean) => void }) {
  const problem = useFieldError(name);
  return (
    <div className={`field${problem ? " field-invalid" : ""}`}>
      <label className="inline">
        <input type="checkbox" name={name} checked={checked} aria-invalid={problem ? true : undefined} onChange={(e) => onChange(e.target.checked)} /> {label}
      </label>
      {problem && (
        <span className="field-error" role="alert">
          {problem}
        </span>
      )}
    </div>
  );
}
