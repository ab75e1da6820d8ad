/** A brief, a design and page content valid per the shared schemas, written for the automation tests. */
import type { Brief, Design, PageContent } from "@/agents/schemas";

export const BUSINESS_NAME = 'Tom & Jerry <script>alert("x")</script>';

export const brief: Brief = {
  businessName: BUSINESS_NAME,
  slug: "tom-and-jerry",
  industry: "Bakery",
  industryFamily: "restaurant",
  audience: "Neighbours who want fresh bread before work",
  tone: "friendly",
  pages: ["home", "about", "services", "contact"],
  contactEmail: "hello@tomandjerry.example",
  language: "en",
  brandColor: "#8a3b12",
  tagline: "Bread & pastries, baked at dawn",
};

export const design: Design = {
  palette: {
    primary: "#8a3b12",
    onPrimary: "#ffffff",
    secondary: "#d9a441",
    accent: "#2f6f5e",
    background: "#fffaf3",
    surface: "#f3e9dc",
    text: "#2b1d12",
    mutedText: "#5c4a3b",
  },
  contrast: { textOnBackground: 15.2, mutedTextOnBackground: 8.1, textOnSurface: 13.1, onPrimaryOnPrimary: 7.4 },
  typography: {
    headingFont: 'Georgia, "Times New Roman", serif',
    bodyFont: "system-ui, -apple-system, Segoe UI, sans-serif",
    baseSizePx: 17,
    scaleRatio: 1.25,
    sizes: { h1: "2.441rem", h2: "1.953rem", h3: "1.563rem", body: "1rem", small: "0.8rem" },
  },
  layout: "split",
  radiusPx: 10,
  spacingPx: 16,
};

const section = (heading: string, withItems: boolean): PageContent["sections"][number] => ({
  heading,
  paragraphs: [
    `${heading}: we bake every loaf by hand & sell it warm.`,
    "Our flour comes from a mill twenty kilometres away.",
  ],
  ...(withItems
    ? {
        items: [
          { title: "Sourdough", text: "Naturally leavened, 36 hours from starter to crust." },
          { title: "Croissants", text: "Butter < 30 % of the dough, flakes > 100 layers." },
        ],
      }
    : {}),
});

function page(key: PageContent["page"], path: string, navLabel: string, ctas: PageContent["ctas"]): PageContent {
  return {
    page: key,
    path,
    language: "en",
    navLabel,
    title: `${navLabel} & more`,
    metaDescription: `${navLabel} at Tom & Jerry: bread and pastries baked every morning in the neighbourhood.`,
    h1: key === "home" ? BUSINESS_NAME : `${navLabel} <of> ours`,
    intro: "Fresh bread & pastries, every morning from six o'clock.",
    sections: [section(`${navLabel} first`, true), section(`${navLabel} second`, false)],
    ctas,
  };
}

export const pages: PageContent[] = [
  page("home", "/", "Home", [
    { label: "Visit us", href: "/contact/" },
    { label: "Our story", href: "/about" },
  ]),
  page("about", "/about/", "About", [{ label: "See what we bake", href: "/services/#main" }]),
  page("services", "/services/", "What we bake", [
    { label: "Order", href: "mailto:orders@tomandjerry.example?subject=Order&body=Hi" },
  ]),
  page("contact", "/contact/", "Contact", [{ label: "Back home", href: "/" }]),
];
