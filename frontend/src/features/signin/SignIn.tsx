import { useState, type FormEvent } from "react";
import { ApiError } from "../../api/problem";
import { ErrorMessage } from "../../components/status";
import { useI18n } from "../../i18n";
import { useSession } from "../../session";

export function SignIn() {
  const { t } = useI18n();
  const { signIn, expired } = useSession();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setMessage(null);
    setFailure(null);
    try {
      await signIn(username.trim(), password);
    } catch (err) {
      const error = err instanceof ApiError ? err : new ApiError(0, { detail: String(err) });
      if (error.status === 401) setMessage(t("signin.wrong"));
      else if (error.status === 429) setMessage(t("signin.locked", { seconds: (err as { retryAfter?: string }).retryAfter ?? "60" }));
      else setFailure(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="signin">
      <form onSubmit={submit} aria-labelledby="signin-title" className="card">
        <h1 id="signin-title">{t("signin.title")}</h1>
        {expired && <p className="notice">{t("error.signed_out")}</p>}
        <label>
          {t("signin.username")}
          <input name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
        </label>
        <label>
          {t("signin.password")}
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {message && (
          <p className="notice notice-error" role="alert">
            {message}
          </p>
        )}
        {failure && <ErrorMessage error={failure} />}
        <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
          {busy ? t("state.working") : t("signin.submit")}
        </button>
        <p className="muted small">{t("signin.hint")}</p>
      </form>
    </main>
  );
}
