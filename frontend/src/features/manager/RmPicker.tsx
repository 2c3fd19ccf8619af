// Choosing an RM: the active RMs of the caller's scope from `GET /rms` (line and grade filtered
// by the API, each with its load against the A-3 cap), searched by name or employee number in the
// page, grouped by unit with the customer's own unit first and the least loaded first. The A-3
// check itself is the API's when the RM is chosen.

import { useId, useState } from "react";
import type { Schemas } from "../../api/client";
import { MoreOf } from "../../components/PagedTable";
import { useFieldError } from "../../components/forms";
import { ErrorMessage } from "../../components/status";
import { useI18n } from "../../i18n";
import { GRADES, linesFor, namesOf, useActiveRms, useOrgUnits } from "./lookups";

type Rm = Schemas["Rm"];
type Line = Schemas["Line"];
type Grade = Schemas["Grade"];

/** The RMs grouped by unit as a manager looks for them: the customer's unit first, then by name. */
export function byUnit(rms: readonly Rm[], unitNames: ReadonlyMap<string, string>, unitId?: string): [string, Rm[]][] {
  const groups = new Map<string, Rm[]>();
  // Within a unit the least loaded first (A-3 utilisation), then by name.
  const load = (rm: Rm) => Number(rm.capacity?.utilisation ?? 0);
  for (const rm of [...rms].sort((a, b) => load(a) - load(b) || a.name.localeCompare(b.name))) {
    const list = groups.get(rm.org_unit_id) ?? [];
    list.push(rm);
    groups.set(rm.org_unit_id, list);
  }
  const unitName = (id: string) => unitNames.get(id) ?? id;
  return [...groups].sort(([a], [b]) => Number(b === unitId) - Number(a === unitId) || unitName(a).localeCompare(unitName(b)));
}

/** The options of an RM select: one group per unit, each RM by name, employee no., grade, line
 * and load against the cap. */
export function RmOptions({ rms, unitId }: { rms: readonly Rm[]; unitId?: string }) {
  const { t, code } = useI18n();
  const units = namesOf(useOrgUnits().data);
  return (
    <>
      <option value="">{t("form.choose")}</option>
      {byUnit(rms, units, unitId).map(([unit, list]) => (
        <optgroup key={unit} label={units.get(unit) ?? t("manager.unit")}>
          {list.map((rm) => (
            <option key={rm.id} value={rm.id}>
              {[
                rm.name,
                rm.employee_no,
                code(rm.grade),
                code(rm.line),
                rm.capacity && t(rm.capacity.held >= rm.capacity.cap ? "manager.picker.full" : "manager.picker.load", { held: rm.capacity.held, cap: rm.capacity.cap }),
              ]
                .filter(Boolean)
                .join(" · ")}
            </option>
          ))}
        </optgroup>
      ))}
    </>
  );
}

export function RmPicker({ value, onChange, customer, exclude = [], name = "rm_id", label }: {
  value: string;
  onChange: (rmId: string) => void;
  /** The customer the RM is for: its kind decides the lines offered, its unit comes first. */
  customer?: Pick<Schemas["Customer"], "kind" | "org_unit_id">;
  /** RMs not to offer (those holding the customer already). */
  exclude?: readonly string[];
  /** The API's field name, so its message for the field appears here. */
  name?: string;
  label: string;
}) {
  const { t, code } = useI18n();
  const id = useId();
  const problem = useFieldError(name);
  const lines = linesFor(customer?.kind);
  const [line, setLine] = useState<Line | "">(lines.length === 1 ? lines[0] : "");
  const [grade, setGrade] = useState<Grade | "">("");
  const [search, setSearch] = useState("");
  const paged = useActiveRms(line, grade);
  const needle = search.trim().toLowerCase();
  const matches = (rm: Rm) => !needle || rm.name.toLowerCase().includes(needle) || rm.employee_no.toLowerCase().includes(needle);
  // The chosen RM stays offered while the search narrows the rest: what is sent is what is shown.
  const offered = paged.items.filter((rm) => lines.includes(rm.line) && !exclude.includes(rm.id) && (rm.id === value || matches(rm)));
  const described = [`${id}-hint`, problem && `${id}-error`].filter(Boolean).join(" ");
  return (
    <div className="rm-picker" role="group" aria-labelledby={`${id}-label`}>
      <p id={`${id}-label`} className="rm-picker-label">
        {label}
      </p>
      <div className="filters">
        <label htmlFor={`${id}-search`}>
          {t("manager.picker.search")}
          <input id={`${id}-search`} type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        {lines.length > 1 && (
          <label htmlFor={`${id}-line`}>
            {t("rms.line")}
            <select
              id={`${id}-line`}
              value={line}
              onChange={(e) => {
                setLine(e.target.value as Line | "");
                onChange("");
              }}
            >
              <option value="">{t("field.all")}</option>
              {lines.map((l) => (
                <option key={l} value={l}>
                  {code(l)}
                </option>
              ))}
            </select>
          </label>
        )}
        <label htmlFor={`${id}-grade`}>
          {t("rms.grade")}
          <select
            id={`${id}-grade`}
            value={grade}
            onChange={(e) => {
              setGrade(e.target.value as Grade | "");
              onChange("");
            }}
          >
            <option value="">{t("field.all")}</option>
            {GRADES.map((g) => (
              <option key={g} value={g}>
                {code(g)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {paged.load.status === "error" && <ErrorMessage error={paged.load.error} onRetry={paged.load.reload} />}
      <div className={`field${problem ? " field-invalid" : ""}`}>
        <label htmlFor={id}>
          {t("manager.picker.rm")}
          <span aria-hidden="true"> *</span>
        </label>
        <select id={id} name={name} required value={value} aria-describedby={described} aria-invalid={problem ? true : undefined} onChange={(e) => onChange(e.target.value)}>
          <RmOptions rms={offered} unitId={customer?.org_unit_id} />
        </select>
        <span id={`${id}-hint`} className="muted small">
          {paged.load.status === "loading" ? t("state.loading") : t("manager.picker.count", { count: offered.length })} {t("manager.picker.capNote")}
        </span>
        {problem && (
          <span id={`${id}-error`} className="field-error" role="alert">
            {problem}
          </span>
        )}
      </div>
      <MoreOf paged={paged} />
    </div>
  );
}
