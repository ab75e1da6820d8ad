/**
 * design-ia: turns a client brief into what a site generator needs: a clean brief, a design
 * system and the copy of each page. Without a language-model key it is deterministic and
 * offline: the same brief always gives the same site, and variations between similar briefs
 * are seeded from the brief's slug. With ANTHROPIC_API_KEY or OPENAI_API_KEY set,
 * generate_content has a model write the copy (same schema), falling back to the templates.
 */
import { defineAgent } from "../framework";
import { languageModelCheck } from "../probe-checks";
import { normalizeBriefAction } from "./brief";
import { generateContentAction } from "./content";
import { generateDesignAction } from "./design";

export const designIa = defineAgent({
  name: "design-ia",
  description: "Turns a client brief into a design system and page copy.",
  // Probe (src/agents/probe.ts): the database, and the language model's key when one is set.
  health: [languageModelCheck],
  // Direct calls (API key): only the actions with no effect outside their answer declare a role;
  // the rest run only as workflow steps (signed engine calls). See src/agents/access.ts.
  actions: {
    // Pure generation (a model's copy when a key is set): an operator may call each directly.
    normalize_brief: { ...normalizeBriefAction, directCall: "operator" },
    generate_design: { ...generateDesignAction, directCall: "operator" },
    generate_content: { ...generateContentAction, directCall: "operator" },
  },
});
