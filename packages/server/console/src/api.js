// Calls to the admin API. Changes carry the console header (refused without it for a cookie session).
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.body = body;
  }
}

export async function api(method, path, body, contentType = "application/json") {
  const headers = { accept: "application/json" };
  if (method !== "GET") headers["x-statefun-console"] = "1";
  let payload;
  if (body !== undefined) {
    headers["content-type"] = contentType;
    payload = typeof body === "string" ? body : JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  const text = await res.text();
  let json;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = text;
  }
  if (res.status === 401 && location.pathname !== "/signin") location.assign("/signin");
  if (!res.ok) throw new ApiError(res.status, typeof json === "object" ? json : { error: String(json) });
  return json;
}

export const get = (path) => api("GET", path);

/** `namespace/type/id` as a path, each part encoded. */
export const addressPath = (a) => [a.namespace, a.type, a.id].map(encodeURIComponent).join("/");
