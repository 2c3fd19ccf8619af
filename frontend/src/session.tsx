// Who is signed in: the token in this tab's session storage and the user it belongs to.

import { useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { api, currentToken, ok, setToken, whenSignedOut, type Schemas } from "./api/client";
import { ApiError } from "./api/problem";
import type { Role } from "./state";

type User = Schemas["User"];

interface Session {
  user: User | null;
  roles: Role[];
  /** True until a stored token has been checked. */
  restoring: boolean;
  signIn: (username: string, password: string) => Promise<void>;
  signOut: () => void;
  expired: boolean;
}

const Context = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [restoring, setRestoring] = useState(() => currentToken() !== null);
  const [expired, setExpired] = useState(false);
  // What one user read is never shown to the next one signing in in this tab.
  const cache = useQueryClient();

  useEffect(() => {
    whenSignedOut(() => {
      cache.clear();
      setUser(null);
      setExpired(true);
    });
    if (currentToken()) {
      ok(api.GET("/api/v1/me"))
        .then(setUser, () => setToken(null))
        .finally(() => setRestoring(false));
    }
  }, [cache]);

  const signIn = useCallback(async (username: string, password: string) => {
    const answer = await api.POST("/api/v1/auth/token", { body: { username, password } });
    if (!answer.data) {
      const seconds = answer.response.headers.get("Retry-After");
      throw Object.assign(new ApiError(answer.response.status, answer.error), { retryAfter: seconds });
    }
    setToken(answer.data.access_token);
    const me = await ok(api.GET("/api/v1/me"));
    cache.clear();
    setExpired(false);
    setUser(me);
  }, [cache]);

  const signOut = useCallback(() => {
    // The server revokes the token (on every node); the tab forgets it either way.
    const held = currentToken();
    if (held) {
      void api
        .POST("/api/v1/auth/logout", { headers: { Authorization: `Bearer ${held}` } })
        .catch(() => undefined);
    }
    setToken(null);
    cache.clear();
    setUser(null);
    setExpired(false);
  }, [cache]);

  return (
    <Context.Provider value={{ user, roles: (user?.roles ?? []) as Role[], restoring, signIn, signOut, expired }}>{children}</Context.Provider>
  );
}

export function useSession(): Session {
  const ctx = useContext(Context);
  if (!ctx) throw new Error("useSession outside SessionProvider");
  return ctx;
}
