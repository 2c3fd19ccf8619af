import { lazy, Suspense, type ComponentType } from "react";
import { Overview } from "./features/overview/Overview";
import { SignIn } from "./features/signin/SignIn";
import { NavCount } from "./features/desk/Waiting";
import { LiveIndicator } from "./features/desk/Live";
import { useEventStream } from "./api/events";
import { PageBoundary, Spinner, Empty } from "./components/status";
import { useI18n } from "./i18n";
import { Link, useLocation } from "./router";
import { useSession } from "./session";
import { pagesFor, type PageId } from "./state";
import type { MessageKey } from "./messages";

/** A page loaded on first visit: the first screen does not carry every role's pages. */
function page$<P extends object>(load: () => Promise<Record<string, unknown>>, name: string) {
  return lazy(async () => ({ default: (await load())[name] as ComponentType<P> }));
}

const Approvals = page$(() => import("./features/approvals/Approvals"), "Approvals");
const Audit = page$(() => import("./features/audit/Audit"), "Audit");
const Checks = page$(() => import("./features/checks/Checks"), "Checks");
const Jobs = page$(() => import("./features/jobs/Jobs"), "Jobs");
const Customers = page$(() => import("./features/customers/Customers"), "Customers");
const CustomerDetail = page$<{ id: string }>(() => import("./features/customers/Customers"), "CustomerDetail");
const ExitCases = page$(() => import("./features/exits/ExitCases"), "ExitCases");
const ExitCaseDetail = page$<{ id: string }>(() => import("./features/exits/ExitCases"), "ExitCaseDetail");
const Rms = page$(() => import("./features/rms/Rms"), "Rms");
const RmDetail = page$<{ id: string }>(() => import("./features/rms/Rms"), "RmDetail");
const Handover = page$<{ id: string }>(() => import("./features/committee/Handover"), "Handover");
const Handovers = page$(() => import("./features/committee/Handovers"), "Handovers");
const AppointRm = page$(() => import("./features/manager/AppointRm"), "AppointRm");
const Queues = page$(() => import("./features/manager/Queues"), "Queues");
const MyDay = page$(() => import("./features/myday/MyDay"), "MyDay");
const Evaluations = page$(() => import("./features/risk/Evaluations"), "Evaluations");
const Flags = page$(() => import("./features/risk/Flags"), "Flags");
const FlagDetail = page$<{ id: string }>(() => import("./features/risk/Flags"), "FlagDetail");
const Policy = page$(() => import("./features/risk/Policy"), "Policy");
const Imports = page$(() => import("./features/imports/Imports"), "Imports");

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
  imports: "/imports",
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
      return id ? <Handover id={id} /> : <Handovers />;
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
    case "imports":
      return <Imports />;
    default:
      return <Empty />;
  }
}

export function App() {
  const { t, code } = useI18n();
  const { user, roles, restoring, signOut } = useSession();
  const { segments } = useLocation();
  const live = useEventStream(user?.id ?? null);

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
        {live && <LiveIndicator state={live} />}
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
        <PageBoundary resetKey={segments.join("/")} message={t("error.page")} retry={t("state.retry")}>
          <Suspense fallback={<Spinner />}>{page(segments)}</Suspense>
        </PageBoundary>
      </main>
    </>
  );
}
