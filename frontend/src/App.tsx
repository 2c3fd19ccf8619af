import { Approvals } from "./pages/Approvals";
import { Audit } from "./pages/Audit";
import { Checks } from "./pages/Checks";
import { Jobs } from "./pages/Jobs";
import { CustomerDetail, Customers } from "./pages/Customers";
import { ExitCaseDetail, ExitCases } from "./pages/ExitCases";
import { Overview } from "./pages/Overview";
import { RmDetail, Rms } from "./pages/Rms";
import { SignIn } from "./pages/SignIn";
import { Spinner, Empty } from "./components/status";
import { useI18n } from "./i18n";
import { Link, useLocation } from "./router";
import { useSession } from "./session";
import { pagesFor, type PageId } from "./state";
import type { MessageKey } from "./messages";

const PATHS: Record<PageId, string> = {
  overview: "/",
  customers: "/customers",
  rms: "/rms",
  approvals: "/approvals",
  checks: "/checks",
  exits: "/exit-cases",
  audit: "/audit",
  jobs: "/jobs",
};

function LanguageSwitch() {
  const { t, lang, setLang } = useI18n();
  return (
    <button type="button" className="link-button" onClick={() => setLang(lang === "en" ? "zh-CN" : "en")} aria-label={t("lang.label")} data-testid="language">
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
      return id ? <RmDetail id={id} /> : <Rms />;
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
