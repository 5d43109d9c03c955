//! English resources.

use super::LangData;

pub(super) const DATA: LangData = LangData {
    words: "the to and of a in is that for it you on this with be we have are not I as at will if \
        can but from or by an so all about was there our they would what just should one do also \
        it's we're new get more some time any these like think which need out when up make other \
        then how know here see no only now work thanks please could been has had them us use their \
        may very than want still let into over well going back after first good sure next week \
        today because update issue change team release build test patch data meeting report \
        project server version review support problem question fix code file list system user \
        check around before again looks something same since already both while much those each \
        another without right way email call tomorrow Friday Monday yesterday plan current between \
        last long people few yes agree send sent attached following below above details \
        information example help start done find working case point number different old great \
        able available possible quick small large part end day days month year customer account \
        access service network error log config configuration document draft budget schedule \
        deadline notes feedback proposal contract invoice order price cost sales quarter agenda \
        minutes slides presentation office room lunch coffee travel flight hotel trip conference \
        talk paper kernel driver device module function memory buffer pointer struct thread lock \
        queue request response client backend frontend database index query search mail message \
        folder header body attachment encoding charset performance benchmark latency throughput \
        regression bug crash panic warning commit branch merge rebase upstream tree maintainer \
        reviewer series cover letter tested reported suggested Q&A R&D actually probably maybe \
        definitely unfortunately however although instead otherwise meanwhile anyway basically \
        roughly exactly clearly simply quickly slowly early late soon later recently finally \
        already together everyone someone anything nothing everything somewhere nowhere \
        Tuesday Wednesday Thursday weekend morning afternoon evening night hour minutes seconds \
        London Berlin Paris Tokyo Boston Seattle manager director engineer developer designer \
        intern contractor vendor partner board legal finance marketing operations security \
        privacy compliance audit policy approval signature deployment rollout rollback outage \
        incident postmortem monitoring alert dashboard metrics disk storage cluster node \
        container image pipeline runner cache timeout retry limit quota migration upgrade \
        downgrade firmware hardware laptop monitor keyboard printer badge parking kitchen \
        birthday holiday vacation dinner party gift weather rain snow train bus airport taxi",
    subjects: &[
        "Meeting notes",
        "Quarterly report",
        "Project update",
        "Quick question",
        "Lunch on Friday?",
        "Build failure on main",
        "Release planning",
        "Budget review",
        "Invoice",
        "Your order has shipped",
        "Team offsite",
        "Code review request",
        "Server maintenance window",
        "Weekly status",
        "Action items from today's call",
        "Draft proposal",
        "Contract renewal",
        "Holiday schedule",
        "Travel arrangements",
        "Conference talk submission",
        "Performance regression in search",
        "Backup job failed",
        "Password reset",
        "New hire onboarding",
        "Customer escalation",
        "Roadmap for next quarter",
        "Interview feedback",
        "Office move",
        "Slides for Monday",
        "Access request",
        "Security advisory",
        "Benchmark results",
        "Follow-up",
        "Thanks!",
        "Question about the API",
        "Minutes of the board meeting",
        "Expense report",
        "Pull request feedback",
        "Call tomorrow?",
        "Kernel panic on boot",
        "USB gadget probe ordering",
        "Index corruption after upgrade",
        "Mailing list migration",
        "Design doc review",
        "Hackathon ideas",
        "Dinner plans",
        "Birthday party",
        "Happy new year",
        "Out of office",
        "Q&A session recording",
    ],
    greetings: &[
        "Hi {},",
        "Hello {},",
        "Dear {},",
        "Hey {},",
        "{},",
        "Hi all,",
        "Good morning,",
    ],
    closings: &[
        "Thanks,",
        "Best regards,",
        "Cheers,",
        "Thanks!",
        "Regards,",
        "Best,",
    ],
    forwarded: "---------- Forwarded message ---------",
    original: "-----Original Message-----",
    titles: &[
        "Senior Software Engineer",
        "Product Manager",
        "Head of Operations",
        "Research Scientist",
        "Account Manager",
        "Site Reliability Engineer",
        "Office Manager",
        "CTO",
    ],
    companies: &[
        "Example Corp",
        "Example Labs Inc.",
        "Acme Example Ltd",
        "Example Systems",
    ],
    file_stems: &[
        "notes",
        "meeting-notes",
        "todo",
        "summary",
        "readme",
        "agenda",
    ],
};
