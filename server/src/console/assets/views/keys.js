// @ts-check
import { ApiError, api, enc, session } from "../api.js";
import { announce, badge, confirmDialog, errorBox, fmtDate, h, loading, plural, table, uid } from "../dom.js";
import { navigate } from "../nav.js";
import { keyReveal } from "./account.js";

const SCOPES = ["features:read", "embeddings:read", "datasets:read", "keys:manage", "admin"];

/**
 * @typedef {{id: string, name: string, prefix: string, scopes: string[], status: string,
 *   created_at: string, last_used_at: string | null, expires_at: string | null}} Key
 */

/** The listed key this tab is signed in with: the list shows each key's first characters. */
const isSessionKey = (/** @type {Key} */ key) =>
  Boolean(session.key?.startsWith(key.prefix.replace(/…$/, "")));

/**
 * @param {HTMLElement} root
 */
export async function renderKeys(root) {
  const revealed = h("div");
  const listArea = h("section", { "aria-labelledby": "keys-heading" });
  const createArea = h("section", { "aria-labelledby": "create-heading" });
  root.append(
    h("h1", {}, "API keys"),
    h(
      "p",
      { class: "lead" },
      "Keys of your account. Create one per notebook or service with only the scopes it needs; rotate a key to replace it without downtime.",
    ),
    revealed,
    listArea,
    createArea,
  );

  /** @param {string} [focusMessage] announced once the list is shown again */
  async function load(focusMessage) {
    listArea.replaceChildren(h("h2", { id: "keys-heading", tabindex: -1 }, "Your keys"), loading());
    try {
      const { keys } = /** @type {{keys: Key[]}} */ (await api("v1/keys"));
      listArea.replaceChildren(listArea.firstChild ?? "", keyTable(keys));
      const own = keys.find(isSessionKey);
      createArea.replaceChildren(createForm(own ? own.scopes : ["features:read"]));
      if (focusMessage) {
        announce(focusMessage);
        /** @type {HTMLElement} */ (listArea.firstChild).focus();
      }
    } catch (error) {
      const forbidden = error instanceof ApiError && error.status === 403;
      listArea.replaceChildren(
        listArea.firstChild ?? "",
        forbidden
          ? h(
              "p",
              { class: "notice warning" },
              "This key has no keys:manage scope, so it cannot list or create keys.",
            )
          : errorBox(error),
      );
    }
  }

  /** @param {Key[]} keys */
  function keyTable(keys) {
    return table({
      caption: `${plural(keys.length, "key")}, newest first`,
      captionHidden: true,
      headers: [
        "Name",
        "Key",
        "Scopes",
        "Status",
        "Created",
        "Last used",
        "Expires",
        h("span", { class: "visually-hidden" }, "Actions"),
      ],
      rows: keys.map((key) => [
        h("span", {}, [key.name, isSessionKey(key) ? h("span", { class: "tag" }, "this tab") : null]),
        h("code", {}, key.prefix),
        h("span", { class: "scopes" }, key.scopes.join(", ")),
        badge(key.status),
        fmtDate(key.created_at),
        fmtDate(key.last_used_at),
        key.expires_at ? fmtDate(key.expires_at) : "never",
        key.status === "active" || key.status === "rotating" ? actions(key) : "",
      ]),
    });
  }

  /** @param {Key} key */
  function actions(key) {
    const label = `${key.name} (${key.prefix})`;
    const rotate = h(
      "button",
      { type: "button", class: "secondary", "aria-label": `Rotate key ${label}` },
      "Rotate",
    );
    const revoke = h(
      "button",
      { type: "button", class: "danger", "aria-label": `Revoke key ${label}` },
      "Revoke",
    );
    rotate.addEventListener("click", () => void rotateKey(key));
    revoke.addEventListener("click", () => void revokeKey(key));
    return h("div", { class: "actions" }, key.status === "active" ? [rotate, revoke] : [revoke]);
  }

  /** @param {Key} key */
  async function rotateKey(key) {
    const graceId = uid("grace");
    const choice = await confirmDialog({
      title: `Rotate ${key.name}?`,
      confirm: "Rotate key",
      body: [
        h(
          "p",
          {},
          "A new key with the same name, scopes and expiry replaces this one. Deploy the new key, then let the old one run out.",
        ),
        h("label", { for: graceId }, "The old key keeps working for"),
        h("select", { id: graceId, name: "grace" }, [
          h("option", { value: "86400" }, "1 day"),
          h("option", { value: "3600" }, "1 hour"),
          h("option", { value: "0" }, "no time: stop it now"),
        ]),
      ],
    });
    if (!choice) return;
    try {
      const mine = isSessionKey(key);
      const rotated = await api(`v1/keys/${enc(key.id)}/rotate`, {
        method: "POST",
        body: { grace_seconds: Number(choice.get("grace")) },
      });
      // The old key may stop at once; this tab moves to the new one so it stays signed in.
      if (mine) session.set(rotated.key);
      await load();
      revealed.replaceChildren(
        keyReveal({
          title: `New key for ${rotated.name}`,
          key: rotated.key,
          note: mine ? "This tab now uses the new key." : undefined,
        }),
      );
    } catch (error) {
      revealed.replaceChildren(errorBox(error));
    }
  }

  /** @param {Key} key */
  async function revokeKey(key) {
    const mine = isSessionKey(key);
    const confirmed = await confirmDialog({
      title: `Revoke ${key.name}?`,
      confirm: "Revoke key",
      danger: true,
      body: h("p", {}, [
        `Key ${key.prefix} stops working at once, on every server. This cannot be undone.`,
        mine ? " This tab uses it: you will be signed out." : "",
      ]),
    });
    if (!confirmed) return;
    try {
      await api(`v1/keys/${enc(key.id)}`, { method: "DELETE" });
      revealed.replaceChildren();
      if (mine) {
        session.clear();
        announce("Key revoked; signed out.");
        navigate("#/signin");
        return;
      }
      await load(`Key ${key.name} revoked.`);
    } catch (error) {
      revealed.replaceChildren(errorBox(error));
    }
  }

  /** @param {string[]} held scopes of this tab's key: a key can only grant what it holds */
  function createForm(held) {
    const nameId = uid("key-name");
    const daysId = uid("days");
    const grants = (/** @type {string} */ scope) => held.includes(scope) || held.includes("admin");
    const offered = SCOPES.filter((scope) => scope !== "admin" || held.includes("admin"));
    const form = h("form", { class: "stack narrow" }, [
      h("div", { class: "field" }, [
        h("label", { for: nameId }, "Name"),
        h("input", {
          id: nameId,
          name: "name",
          type: "text",
          maxlength: 100,
          placeholder: "e.g. training notebook",
        }),
      ]),
      h("fieldset", {}, [
        h("legend", {}, "Scopes"),
        ...offered.map((scope) =>
          h("label", { class: "check" }, [
            h("input", {
              type: "checkbox",
              name: "scopes",
              value: scope,
              checked: scope === "features:read",
              disabled: !grants(scope),
            }),
            ` ${scope}`,
            grants(scope) ? "" : h("span", { class: "hint" }, " (this tab's key lacks it)"),
          ]),
        ),
      ]),
      h("div", { class: "field" }, [
        h("label", { for: daysId }, ["Expires after (days) ", h("span", { class: "hint" }, "(optional)")]),
        h("input", { id: daysId, name: "days", type: "number", min: 1, max: 3650, inputmode: "numeric" }),
      ]),
      h("button", { type: "submit" }, "Create key"),
    ]);
    const problems = h("div");
    form.append(problems);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const scopes = data.getAll("scopes").map(String);
      if (scopes.length === 0) {
        problems.replaceChildren(errorBox(new Error("Pick at least one scope.")));
        return;
      }
      try {
        const body = {
          scopes,
          ...(data.get("name") ? { name: String(data.get("name")) } : {}),
          ...(data.get("days") ? { expires_in_days: Number(data.get("days")) } : {}),
        };
        const created = await api("v1/keys", { method: "POST", body });
        await load();
        revealed.replaceChildren(
          keyReveal({
            title: `New key ${created.name}`,
            key: created.key,
            note: `Scopes: ${created.scopes.join(", ")}.`,
          }),
        );
      } catch (error) {
        problems.replaceChildren(errorBox(error));
      }
    });
    return h("div", {}, [h("h2", { id: "create-heading" }, "Create a key"), form]);
  }

  await load();
}
