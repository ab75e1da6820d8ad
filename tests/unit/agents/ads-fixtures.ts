/** A French restaurant's normalised brief, shared by the ads tests. */
import type { Brief } from "@/agents/schemas";

export const bistroBrief: Brief = {
  businessName: "Le Petit Bistro",
  slug: "le-petit-bistro",
  industry: "bistrot lyonnais",
  industryFamily: "restaurant",
  audience: "familles et gourmets du quartier",
  tone: "friendly",
  pages: ["home", "about", "services", "contact"],
  contactEmail: "bonjour@petit-bistro.fr",
  language: "fr",
  brandColor: null,
  tagline: "Cuisine maison au cœur de Lyon",
};
