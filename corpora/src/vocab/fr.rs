//! French resources.

use super::LangData;

pub(super) const DATA: LangData = LangData {
    words:
        "le la les de des du un une et à en dans pour que qui ne pas est sur au avec ce il elle \
        nous vous ils on se son sa ses leur plus par mais ou comme tout tous cette être avoir fait \
        faire été sont avons avez peut doit bien très aussi encore déjà après avant depuis pendant \
        sans sous entre chez vers merci bonjour cordialement salut réunion rapport projet client \
        facture devis contrat changement erreur problème solution question réponse brouillon \
        résumé résultat vérification taille rue bureau équipe collègue service direction document \
        pièce jointe fichier serveur accès utilisateur données base sauvegarde mise jour version \
        publication pilote appareil mémoire interface performance rapide lent grand petit nouveau \
        nouvelle ancien bon mauvais important urgent possible nécessaire prêt terminé ouvert fermé \
        ensemble toujours jamais souvent parfois peut-être évidemment malheureusement volontiers \
        sûr exactement environ vraiment plutôt bientôt tard tôt retour suite haut bas demain hier \
        aujourd'hui semaine lundi mardi mercredi jeudi vendredi samedi dimanche matin soir midi \
        journée mois année heure minute temps fin début milieu partie exemple raison chemin \
        objectif plan idée proposition avis remarque confirmation invitation annulation report \
        retard panne maintenance redémarrage inscription clé porte fenêtre salle bâtiment étage \
        chaise table ordinateur écran imprimante clavier souris câble réseau connexion ligne \
        téléphone portable message courrier lettre colis livraison commande marchandise stock \
        quantité qualité mesure hiver automne printemps Noël vacances voyage vol hôtel train gare \
        voiture vélo Paris Lyon Marseille Genève Bruxelles Montréal café déjeuner dîner fête \
        anniversaire congé élève école université étudiant thèse recherche développement \
        logiciel système noyau sécurité production tâche priorité délai échéance budget coût \
        prix trimestre où là ça déçu reçu créé modifié envoyé supprimé ajouté testé validé \
        déployé à-dire c'est qu'il n'est j'ai d'accord s'il l'équipe l'adresse ci-joint \
        ci-dessous là-bas très-bien règle système façon français garçon leçon reçu déçue",
    subjects: &[
        "Compte rendu de réunion",
        "Rapport trimestriel",
        "Point projet",
        "Petite question",
        "Déjeuner vendredi ?",
        "Facture",
        "Devis",
        "Renouvellement du contrat",
        "Congés d'été",
        "Rendez-vous la semaine prochaine",
        "Modifications du brouillon",
        "Maintenance du serveur",
        "Accès au réseau",
        "Erreur lors de l'import",
        "Invitation à la fête de Noël",
        "Question sur la commande",
        "Documents pour l'audit",
        "Passation",
        "Note de frais",
        "Nouvelle version disponible",
        "Panne réseau",
        "Merci pour votre retour",
        "Réunion d'équipe",
        "Présentation de lundi",
        "Bonne année",
    ],
    greetings: &[
        "Bonjour {},",
        "Salut {},",
        "Bonsoir {},",
        "Madame, Monsieur,",
        "Bonjour à tous,",
    ],
    closings: &[
        "Cordialement,",
        "Bien à vous,",
        "Merci d'avance,",
        "À bientôt,",
        "Bonne journée,",
    ],
    forwarded: "-------- Message transféré --------",
    original: "-----Message d'origine-----",
    titles: &[
        "Ingénieur logiciel",
        "Chef de projet",
        "Directrice commerciale",
        "Responsable qualité",
    ],
    companies: &["Exemple SARL", "Société Exemple SA", "Exemple & Fils"],
    file_stems: &[
        "résumé",
        "compte-rendu",
        "notes",
        "liste des tâches",
        "procès-verbal",
    ],
};
