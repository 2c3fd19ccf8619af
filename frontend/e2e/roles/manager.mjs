// A role's main task in the dashboard, start to finish, against the real server.
// ctx: { page, context, browser, base, step, shot, signIn, signOut, assert, PASSWORD, timings }
export default async function walk(ctx) {}
