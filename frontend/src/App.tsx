import { Approvals } from "./features/approvals/Approvals";
import { Audit } from "./features/audit/Audit";
import { Checks } from "./features/checks/Checks";
import { Jobs } from "./features/jobs/Jobs";
import { CustomerDetail, Customers } from "./features/customers/Customers";
import { ExitCaseDetail, ExitCases } from "./features/exits/ExitCases";
import { Overview } from "./features/overview/Overview";
import { RmDetail, Rms } from "./features/rms/Rms";
import { SignIn } from "./features/signin/SignIn";
import { Handover } from "./features/committee/Handover";
import { AppointRm } from "./features/manager/AppointRm";
import { Queues } from "./features/manager/Queues";
import { MyDay } from "./features/myday/MyDay";
import { Evaluations } from "./features/risk/Evaluations";
import { FlagDetail, Flags } from "./features/risk/Flags";
import { Policy } from "./features/risk/Policy";
import { NavCount } from "./features/desk/Waiting";
import { Spinner, Empty } from "./components/status";
import { useI18n } from "./i18n";
import { Link, useLocation } from "./router";
import { useSession } from "./session";
import { pagesFor, type PageId } from "./state";
import type { MessageKey } from "./messages";

const PATHS: Record<PageId, string> = {
  overview: "/",
  myday: "/my-day",
  customers: "/customers",
  rms: "/rms",
  flags: "/flags",
  approvals: "/approvals",
  queues: "/queues",
  checks: "/checks",
  exits: "/exit-cases",
  evaluations: "/evaluations",
  policy: "/policy",
  audit: "/audit",
  jobs: "/jobs",
};

function LanguageSwitch() {
  const { t, lang, setLang } = useI18n();
  return (
    <button type="button" className="link-button" onClick={() => setLang(lang === "en" ? "zh-CN" : "en")} aria-label={`${t("lang.label")}: ${t("lang.switch")}`} data-testid="language">
      {t("lang.switch")}
    </button>
  );
}

function page(segments: string[]) {
  const [first, id] = segments;
  switch (first) {
    case undefined:
      return <Overview />;
    case "customers":
      return id ? <CustomerDetail id={id} /> : <Customers />;
    case "rms":
      return id === "new" ? <AppointRm /> : id ? <RmDetail id={id} /> : <Rms />;
    case "my-day":
      return <MyDay />;
    case "flags":
      return id ? <FlagDetail id={id} /> : <Flags />;
    case "queues":
      return <Queues />;
    case "handovers":
      return id ? <Handover id={id} /> : <Empty />;
    case "evaluations":
      return <Evaluations />;
    case "policy":
      return <Policy />;
    case "approvals":
      return <Approvals />;
    case "checks":
      return <Checks />;
    case "exit-cases":
      return id ? <ExitCaseDetail id={id} /> : <ExitCases />;
    case "audit":
      return <Audit />;
    case "jobs":
      return <Jobs />;
    default:
      return <Empty />;
  }
}

export function App() {
  const { t, code } = useI18n();
  const { user, roles, restoring, signOut } = useSession();
  const { segments } = useLocation();

  if (restoring) return <Spinner />;
  if (!user) {
    return (
      <>
        <header className="topbar">
          <span className="brand">{t("app.name")}</span>
          <span className="muted">{t("app.tagline")}</span>
          <span className="spacer" />
          <LanguageSwitch />
        </header>
        <SignIn />
      </>
    );
  }
  const active = segments[0] ?? "";
  return (
    <>
      <a href="#main" className="skip">
        {t("nav.skip")}
      </a>
      <header className="topbar">
        <span className="brand">{t("app.name")}</span>
        <span className="muted hide-narrow">{t("app.tagline")}</span>
        <span className="spacer" />
        <span className="muted small" data-testid="who">
          {t("signedInAs", { name: user.display_name || user.username })} · {roles.map((r) => code(r)).join(", ")}
        </span>
        <LanguageSwitch />
        <button type="button" className="link-button" onClick={signOut}>
          {t("signout")}
        </button>
      </header>
      <nav className="sidenav" aria-label={t("nav.main")}>
        <ul>
          {pagesFor(roles).map((id) => {
            const path = PATHS[id];
            const current = path === "/" ? active === "" : path === `/${active}`;
            return (
              <li key={id}>
                <Link to={path} aria-current={current ? "page" : undefined}>
                  {t(`nav.${id}` as MessageKey)}
                  <NavCount page={id} />
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {page(segments)}
      </main>
    </>
  );
}
