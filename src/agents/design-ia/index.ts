/**
 * design-ia: turns a client brief into what a site generator needs: a clean brief, a design
 * system and the copy of each page. Without a language-model key it is deterministic and
 * offline: the same brief always gives the same site, and variations between similar briefs
 * are seeded from the brief's slug. With ANTHROPIC_API_KEY or OPENAI_API_KEY set,
 * generate_content has a model write the copy (same schema), falling back to the templates.
 */
import { defineAgent } from "../framework";
import { normalizeBriefAction } from "./brief";
import { generateContentAction } from "./content";
import { generateDesignAction } from "./design";

export const designIa = defineAgent({
  name: "design-ia",
  description: "Turns a client brief into a design system and page copy.",
  actions: {
    normalize_brief: normalizeBriefAction,
    generate_design: generateDesignAction,
    generate_content: generateContentAction,
  },
});
