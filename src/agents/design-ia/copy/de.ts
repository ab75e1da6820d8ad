import type { Copy } from "./types";

// German nouns keep their capital, so the domains read the same as {domain} and {Domain}.
export const de: Copy = {
  nav: { home: "Startseite", about: "Über uns", services: "Leistungen", contact: "Kontakt", faq: "FAQ" },
  domains: {
    restaurant: "Gastronomie",
    legal: "Rechtsberatung",
    health: "Gesundheit",
    tech: "Technologie",
    retail: "Handel",
    creative: "Design und Kreativität",
    construction: "Bau und Renovierung",
    education: "Bildung und Weiterbildung",
    beauty: "Schönheit und Wohlbefinden",
    finance: "Finanzberatung",
    services: "Dienstleistungen",
  },
  audiences: {
    restaurant: "Nachbarn, Familien, Genießer und Gäste auf der Durchreise",
    legal: "Privatpersonen, Familien und Unternehmen, die klaren rechtlichen Rat brauchen",
    health: "Patientinnen und Patienten jeden Alters, die aufmerksame und verlässliche Betreuung suchen",
    tech: "Start-ups, kleine Unternehmen und Teams, die auf Technologie setzen",
    retail: "Kundschaft aus der Nachbarschaft und alle, die sorgfältig ausgewählte Produkte schätzen",
    creative: "Marken, Unternehmen und Privatpersonen, die auffallen wollen",
    construction: "Eigentümer, Vermieter und Unternehmen mit einem Bauvorhaben",
    education: "Lernende jeden Alters, Eltern und Organisationen, die in Wissen investieren",
    beauty: "alle, die sich etwas Gutes tun und sich Zeit für sich nehmen möchten",
    finance: "Privatpersonen, Selbstständige und kleine Unternehmen, die Klarheit über ihre Finanzen wollen",
    services: "Privatpersonen und Unternehmen, die zuverlässigen und persönlichen Service schätzen",
  },
  offers: {
    restaurant: ["Vor Ort genießen", "Zum Mitnehmen und Lieferung", "Feiern und Catering"],
    legal: ["Rechtsberatung", "Verträge und Urkunden", "Vertretung und Streitfälle"],
    health: ["Sprechstunden", "Behandlung und Nachsorge", "Vorsorge und Check-ups"],
    tech: ["Softwareentwicklung", "IT-Support und Wartung", "Digitalstrategie"],
    retail: ["Einkaufen im Laden", "Persönliche Beratung", "Geschenke und Bestellungen"],
    creative: ["Markenauftritt", "Design und Inhalte", "Foto und Video"],
    construction: ["Neubau und Anbau", "Renovierung", "Reparatur und Wartung"],
    education: ["Kurse und Workshops", "Einzelunterricht", "Schulungen für Unternehmen"],
    beauty: ["Behandlungen", "Haare und Styling", "Wellness und Entspannung"],
    finance: ["Buchhaltung", "Steuererklärung und Steuerplanung", "Finanzberatung"],
    services: ["Beratung und Planung", "Service im Alltag", "Individuelle Betreuung"],
  },
  offerTexts: [
    "Mit Sorgfalt umgesetzt von Menschen, die ihr Handwerk verstehen und lieben.",
    "Klare Informationen von Anfang an, damit Sie wissen, was Sie erwartet.",
    "Flexibel und zuverlässig: Sagen Sie uns, was Sie brauchen, wir passen uns an.",
  ],
  taglines: {
    professional: "{Domain}: verlässlich und kompetent.",
    friendly: "{Domain}: persönlich und herzlich.",
    playful: "{Domain}: mit Freude und frischen Ideen.",
    luxury: "{Domain}: exklusiv und maßgeschneidert.",
    bold: "{Domain}: mutig und kompromisslos.",
  },
  voices: {
    professional: "Wir arbeiten gründlich, halten unsere Zusagen und erklären jeden Schritt verständlich.",
    friendly: "Wir nehmen uns Zeit zum Zuhören und begegnen allen wie guten Bekannten.",
    playful: "Wir lieben, was wir tun, und das merkt man an jedem Detail.",
    luxury: "Jedes Detail ist durchdacht, jede Anfrage wird diskret behandelt.",
    bold: "Wir setzen hohe Maßstäbe, handeln schnell und geben uns nie mit Mittelmaß zufrieden.",
  },
  ctas: {
    professional: "Beratungstermin anfragen",
    friendly: "Schreiben Sie uns",
    playful: "Lassen Sie uns reden!",
    luxury: "Termin vereinbaren",
    bold: "Projekt starten",
  },
  emailCta: "E-Mail schreiben",
  homeCta: "Zur Startseite",
  hours: {
    restaurant: ["Dienstag bis Sonntag: 12:00–14:30 und 19:00–22:30 Uhr.", "Montag Ruhetag."],
    shop: ["Dienstag bis Samstag: 10:00–19:00 Uhr.", "Sonntag und Montag geschlossen."],
    practice: ["Montag bis Freitag: 8:30–19:00 Uhr.", "Samstag: 9:00–12:00 Uhr, nach Vereinbarung."],
    office: ["Montag bis Freitag: 9:00–18:00 Uhr.", "Termine außerhalb dieser Zeiten nach Vereinbarung."],
  },
  pages: {
    home: {
      titleLead: "{Domain}",
      meta: "{shortName}: {Domain} mit Erfahrung. Unsere Leistungen, was uns auszeichnet und wie Sie uns erreichen.",
      intro: "Willkommen bei {name} ({industry}). {tagline} {voice}",
      welcomeHeading: ["Willkommen bei {shortName}", "Schön, dass Sie da sind"],
      welcomeText:
        "Für wen wir arbeiten: {audience}. Was auch immer Sie herführt, bei uns finden Sie Menschen, die ihr Fach verstehen und es richtig machen wollen.",
      offersHeading: "Unser Angebot",
      offersText: "Ein Überblick über das, was {shortName} am besten kann.",
      whyHeading: "Warum {shortName}?",
      whyText: "Unsere Kundschaft kommt aus drei einfachen Gründen wieder.",
      whyItems: [
        {
          title: "Erfahrung",
          text: "Im Bereich {Domain} kennen wir uns aus, und diese Erfahrung steckt in jeder Anfrage.",
        },
        {
          title: "Zuhören",
          text: "Wir gehen von Ihrer Situation und Ihren Fragen aus, nicht von einer Standardlösung.",
        },
        {
          title: "Verlässlichkeit",
          text: "Klare Preise, eingehaltene Termine und eine feste Ansprechperson von Anfang bis Ende.",
        },
      ],
      ctaHeading: ["Wir sind bereit, wenn Sie es sind", "Sprechen wir über Ihr Anliegen"],
      ctaText: "Sagen Sie uns, was Sie brauchen: Wir antworten schnell und unverbindlich.",
    },
    about: {
      meta: "Über {shortName}: unsere Geschichte, unsere Werte und das Team hinter unserer Arbeit im Bereich {Domain}.",
      h1: "Über uns",
      intro: "{name} ({industry}): wer wir sind, wie wir arbeiten und was uns wichtig ist.",
      storyHeading: "Unsere Geschichte",
      story: [
        "{shortName} begann mit einer einfachen Idee: Arbeit im Bereich {Domain} soll klar, persönlich und sorgfältig sein.",
        "Zu unserer Kundschaft gehören heute: {audience}. Wir arbeiten mit derselben Sorgfalt wie am ersten Tag.",
        "Gewachsen sind wir durch die Empfehlungen zufriedener Kundinnen und Kunden, und so soll es bleiben.",
      ],
      valuesHeading: "Unsere Werte",
      values: [
        { title: "Sorgfalt", text: "Jede Anfrage bekommt unsere volle Aufmerksamkeit, ganz gleich, wie groß sie ist." },
        {
          title: "Ehrlichkeit",
          text: "Wir sagen Ihnen, was wir leisten können, was es kostet und wann es fertig ist.",
        },
        { title: "Qualität", text: "Wir sind stolz auf Arbeit, die hält, und auf Kundschaft, die wiederkommt." },
      ],
      joinHeading: "Mit uns arbeiten",
      joinText: "Sie haben ein Projekt oder eine Frage? Wir freuen uns auf Ihre Nachricht.",
    },
    services: {
      meta: "Die Leistungen von {shortName} im Bereich {Domain}: unser Angebot, unsere Arbeitsweise, Ihr Start.",
      h1: "Unsere Leistungen",
      intro: "Alles, was {name} ({industry}) für Sie tun kann, einfach erklärt.",
      listHeading: "Unser Angebot",
      listText: "Leistungen für unsere Kundschaft: {audience}.",
      processHeading: "So arbeiten wir",
      process: [
        { title: "1. Sie schildern Ihr Anliegen", text: "Eine kurze Nachricht oder ein Anruf genügt für den Anfang." },
        {
          title: "2. Sie erhalten ein klares Angebot",
          text: "Wir empfehlen die passende Lösung, mit Preis und Zeitplan, bevor etwas beginnt.",
        },
        {
          title: "3. Wir kümmern uns darum",
          text: "Wir erledigen die Arbeit sorgfältig und halten Sie bis zum Abschluss auf dem Laufenden.",
        },
      ],
      ctaHeading: "Etwas Bestimmtes gesucht?",
      ctaText: "Sie finden nicht, was Sie suchen? Fragen Sie uns: Oft finden wir eine Lösung.",
    },
    contact: {
      meta: "Kontakt zu {shortName}: So erreichen Sie uns, unsere Öffnungszeiten und wie es danach weitergeht.",
      h1: "Kontakt",
      intro: "Fragen, Angebote oder Reservierungen: Bei {name} ({industry}) helfen wir Ihnen gern weiter.",
      reachHeading: "So erreichen Sie uns",
      reachByEmail:
        "Schreiben Sie uns an {email}: Wir beantworten jede Nachricht persönlich, meist innerhalb eines Werktags.",
      reachOtherwise:
        "Besuchen Sie uns während der Öffnungszeiten oder hinterlassen Sie eine Nachricht: Wir beantworten jede Anfrage persönlich.",
      hoursHeading: "Öffnungszeiten",
      hoursNote:
        "Diese Zeiten dienen zur Orientierung und können an Feiertagen abweichen; bitte fragen Sie vor Ihrem Besuch kurz nach.",
      nextHeading: "Wie es weitergeht",
      nextText:
        "Wir lesen Ihre Nachricht, klären offene Fragen und melden uns mit einer klaren Antwort oder einem Angebot.",
    },
    faq: {
      meta: "Antworten auf häufige Fragen zu {shortName}: Preise, Fristen, für wen wir arbeiten, wie Sie uns erreichen.",
      h1: "Häufige Fragen",
      intro: "Schnelle Antworten rund um {name} ({industry}). Ihre Frage ist nicht dabei? Fragen Sie uns einfach.",
      heading: "Ihre Fragen, unsere Antworten",
      lead: "Das werden wir am häufigsten gefragt.",
      contactQuestion: "Wie erreiche ich {shortName}?",
      contactAnswerByEmail: "Schreiben Sie uns an {email}; wir antworten meist innerhalb eines Werktags.",
      contactAnswerOtherwise:
        "Besuchen Sie uns während der Öffnungszeiten oder hinterlassen Sie eine Nachricht; wir melden uns so schnell wie möglich.",
      questions: [
        { title: "Für wen arbeiten Sie?", text: "Für unsere Kundschaft: {audience}." },
        {
          title: "Was kostet das?",
          text: "Das hängt von Ihrem Bedarf ab. Sie erhalten immer einen klaren Preis, bevor wir beginnen, ohne versteckte Kosten.",
        },
        {
          title: "Wie schnell können Sie helfen?",
          text: "Meist innerhalb weniger Tage. Nennen Sie uns Ihren Zeitrahmen, und wir sagen Ihnen ehrlich, was möglich ist.",
        },
        { title: "Was unterscheidet Sie?", text: "{voice}" },
      ],
      moreHeading: "Noch eine Frage?",
      moreText: "Schreiben Sie uns: Es gibt keine dummen Fragen.",
    },
  },
};
