"""What the demo's knowledge base, canned replies and incoming mail say: a small web host's.

Every name and address is made up, under .example; the text is English except the German
translations, which show the portal's language fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP

# (slug, name): the categories a host's customers look in first.
CATEGORIES: list[tuple[str, str]] = [
    ("mail", "Mail"),
    ("domains-dns", "Domains & DNS"),
    ("ssl", "SSL certificates"),
    ("backups", "Backups"),
    ("ftp-files", "FTP & files"),
]


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    category: str  # a CATEGORIES slug
    title: str
    body: str
    language: str = "en"
    customers_only: bool = False
    published: bool = True
    # Earlier (title, body) versions, oldest first: saved before the current one, as edits are.
    history: tuple[tuple[str, str], ...] = ()
    views: int = 0
    # Readers' answers to "Was this helpful?": how many said yes, how many no.
    helpful: int = 0
    unhelpful: int = 0


_MAIL_CLIENT = """\
Use these settings in Outlook, Thunderbird, Apple Mail or your phone's mail app.
Your user name is always the **full e-mail address**.

## Incoming mail (IMAP)

```
Server:     mail.hosting.example
Port:       993
Security:   SSL/TLS
User name:  you@your-domain.example
```

## Outgoing mail (SMTP)

```
Server:          mail.hosting.example
Port:            587
Security:        STARTTLS
Authentication:  normal password, same user name as above
```

## Still not working?

- Port 25 is blocked by many internet providers: use 587.
- POP3 (port 995) works too, but IMAP keeps your phone and computer in step.
- Check the password in the control panel under **Mail > Mailboxes**.
"""

_MAIL_CLIENT_DE = """\
Diese Einstellungen gelten für Outlook, Thunderbird, Apple Mail und die Mail-App Ihres Telefons.
Der Benutzername ist immer die **vollständige E-Mail-Adresse**.

## Posteingang (IMAP)

```
Server:        mail.hosting.example
Port:          993
Sicherheit:    SSL/TLS
Benutzername:  sie@ihre-domain.example
```

## Postausgang (SMTP)

```
Server:           mail.hosting.example
Port:             587
Sicherheit:       STARTTLS
Authentifizierung: normales Passwort, Benutzername wie oben
```

## Es klappt noch nicht?

- Viele Internetanbieter sperren Port 25: nehmen Sie 587.
- POP3 (Port 995) geht auch, aber mit IMAP bleiben Telefon und Computer auf demselben Stand.
- Das Passwort finden Sie im Kundenbereich unter **E-Mail > Postfächer**.
"""

_BOUNCES = """\
When mail to one of your addresses bounces, the sender gets a *bounce message*
(a delivery status notification). Its first lines say why:

| The bounce says | What it means | What to do |
|---|---|---|
| `550 5.1.1 User unknown` | The mailbox does not exist | Create it under **Mail > Mailboxes** |
| `552 5.2.2 Mailbox full` | The mailbox is over its quota | See [Mailbox full](kb:mailbox-full) |
| `554 5.7.1 Rejected by SPF` | The sender's domain forbids their server | The sender fixes their SPF record |
| `Host not found` | The domain has no MX record | Check the MX record in [DNS records](kb:dns-records) |

## Mail to all your addresses bounces

Check the domain's MX record; it must point at our mail server:

```
$ dig +short MX your-domain.example
10 mx.hosting.example.
```

If it points anywhere else, mail goes there instead. Open a ticket with the full
bounce message attached and we will look at the mail server's log.
"""

_MAILBOX_FULL = """\
A full mailbox refuses new mail: senders get `552 Mailbox full` back.

1. Empty the **Trash** and **Junk** folders (deleted mail still counts until then).
2. Delete or save old mail with large attachments.
3. Raise the quota: **Mail > Mailboxes > Edit > Quota**. Your package's total
   mail storage is shared by all mailboxes.

Mail programs set to POP3 with "leave a copy on the server" fill the mailbox too:
switch them to IMAP, see [Mail client settings](kb:mail-client-settings).
"""

_DNS_RECORDS = """\
Add, change or remove records under **Domains > DNS zone**. The usual ones:

```
; name        type   value
@             A      203.0.113.10
www           CNAME  your-domain.example.
shop          CNAME  shops.shop-system.example.
@             MX     10 mx.hosting.example.
@             TXT    "v=spf1 include:spf.hosting.example ~all"
```

- **A** points a name at an IPv4 address (AAAA: IPv6).
- **CNAME** makes a name an alias of another name; a name with a CNAME can have no other records.
- **MX** says which server takes the domain's mail; lower numbers are tried first.
- **TXT** carries text: SPF, DKIM and site verification codes.

## How long a change takes

A change is live on our name servers within a minute, but resolvers elsewhere keep the
old answer for its **TTL** (3600 seconds by default). Lower the TTL a day before a move.
"""

_DNS_RECORDS_DE = """\
Einträge legen Sie unter **Domains > DNS-Zone** an, ändern oder löschen sie dort. Die üblichen:

```
; Name        Typ    Wert
@             A      203.0.113.10
www           CNAME  ihre-domain.example.
shop          CNAME  shops.shop-system.example.
@             MX     10 mx.hosting.example.
@             TXT    "v=spf1 include:spf.hosting.example ~all"
```

- **A** verweist einen Namen auf eine IPv4-Adresse (AAAA: IPv6).
- **CNAME** macht einen Namen zum Alias eines anderen; daneben darf der Name keine weiteren Einträge haben.
- **MX** nennt den Server, der die E-Mail der Domain annimmt; kleinere Zahlen zuerst.
- **TXT** enthält Text: SPF, DKIM und Bestätigungscodes.

## Wie lange eine Änderung dauert

Auf unseren Nameservern gilt eine Änderung nach einer Minute, andere Resolver behalten die alte
Antwort aber für ihre **TTL** (standardmäßig 3600 Sekunden). Senken Sie die TTL einen Tag vor einem Umzug.
"""

_TRANSFER = """\
To move a domain to us from another registrar:

1. At the old registrar, **unlock** the domain and ask for its **auth code** (EPP code).
2. Here, under **Domains > Transfer in**, enter the domain and the auth code.
3. Confirm the mail the registry sends to the domain owner's address.

Most transfers finish within a day; .com and .net can take up to five days. The DNS records
move with the domain when you have copied them into **Domains > DNS zone** beforehand.
"""

_LETS_ENCRYPT = """\
Every site can have a free certificate from Let's Encrypt, renewed by us automatically.

1. Open **Websites > your site > SSL**.
2. Choose **Let's Encrypt** and tick the names it should cover (`your-domain.example`,
   `www.your-domain.example`).
3. Save. The certificate is issued within a few minutes.

The names must point at our server (an A record to `203.0.113.10`) when you ask: Let's Encrypt
checks them over HTTP. Then turn on **Redirect HTTP to HTTPS**.
"""

_SSL_ERRORS = """\
When the browser says a site's SSL certificate is not valid, check which warning it shows:

- **Certificate expired**: the renewal failed, usually because a name no longer points at our
  server. Fix the DNS record, then press **Renew now** under **Websites > your site > SSL**.
- **Certificate is for another name** (`NET::ERR_CERT_COMMON_NAME_INVALID`): the certificate does
  not cover this name; add `www.` or the missing subdomain to it.
- **Not trusted**: an uploaded certificate lacks its intermediate certificate; paste the chain
  below your certificate.

To see what the server sends:

```
$ openssl s_client -connect your-domain.example:443 -servername your-domain.example </dev/null \\
    | openssl x509 -noout -subject -dates
```
"""

_RESTORE_V1 = """\
We keep a backup of every site. To restore one, open a ticket and say which day.
"""

_RESTORE_V2 = """\
We back up every site and database each night and keep the backups for 14 days.

1. Open **Websites > your site > Backups**.
2. Choose the day and press **Restore**.
"""

_RESTORE = """\
We back up every site and database each night and keep the backups for **14 days**.

## Restoring files or a database

1. Open **Websites > your site > Backups**.
2. Choose the day, then **Files**, **Database** or both.
3. Press **Restore**. The files are written back over the current ones.

A restore replaces what is there now: download the current files first if you may still need them.

## Restoring only one file

Choose **Browse** beside the day, find the file and press **Download**.

Backups older than 14 days are gone; open a ticket soon when you need one.
"""

_SFTP = """\
Upload your site's files with SFTP (FTP over SSH); plain FTP is switched off.

```
Host:       sftp.hosting.example
Port:       22
Protocol:   SFTP
User name:  the site's user, under Websites > your site > Access
```

- **FileZilla**: File > Site Manager > New site, protocol *SFTP*.
- **WinSCP**: New session, file protocol *SFTP*.
- The site's public files go in `public_html/`.

Five wrong passwords in a row block your address for 15 minutes.
"""

_PERMISSIONS = """\
WordPress needs to write to `wp-content/` only.

```
find public_html -type d -exec chmod 755 {} +
find public_html -type f -exec chmod 644 {} +
chmod 600 public_html/wp-config.php
```

To do: a section on uploads.
"""

ARTICLES: list[DemoArticle] = [
    DemoArticle("mail-client-settings", "mail", "Mail client settings (IMAP and SMTP)", _MAIL_CLIENT,
                views=41, helpful=6, unhelpful=1),
    DemoArticle("e-mail-programm-einrichten", "mail", "E-Mail-Programm einrichten (IMAP und SMTP)",
                _MAIL_CLIENT_DE, language="de", views=9, helpful=2),
    DemoArticle("mail-bounces", "mail", "Why mail bounces, and what the bounce message says", _BOUNCES,
                views=27, helpful=4, unhelpful=1),
    DemoArticle("mailbox-full", "mail", "Mailbox full: cleaning up and raising the quota", _MAILBOX_FULL,
                views=18, helpful=3),
    DemoArticle("dns-records", "domains-dns", "Adding a DNS record (A, CNAME, MX, TXT)", _DNS_RECORDS,
                views=33, helpful=5, unhelpful=2),
    DemoArticle("dns-eintrag-anlegen", "domains-dns", "DNS-Eintrag anlegen (A, CNAME, MX, TXT)",
                _DNS_RECORDS_DE, language="de", views=7, helpful=1),
    DemoArticle("domain-transfer", "domains-dns", "Transferring a domain to us", _TRANSFER,
                customers_only=True, views=6, helpful=1),
    DemoArticle("lets-encrypt", "ssl", "A free SSL certificate from Let's Encrypt", _LETS_ENCRYPT,
                views=22, helpful=4),
    DemoArticle("ssl-certificate-errors", "ssl", "SSL certificate expired or not valid: what to check",
                _SSL_ERRORS, views=15, helpful=2, unhelpful=1),
    DemoArticle("restore-backup", "backups", "Restoring a backup of your site or database", _RESTORE,
                history=(("Backups", _RESTORE_V1), ("Restoring a backup", _RESTORE_V2)),
                views=12, helpful=3),
    DemoArticle("sftp", "ftp-files", "Uploading files with SFTP (FileZilla, WinSCP)", _SFTP,
                views=10, helpful=1, unhelpful=1),
    DemoArticle("wordpress-file-permissions", "ftp-files", "File permissions for WordPress", _PERMISSIONS,
                published=False),
]

# (title, body): the team's shared answers; the placeholders are desk.placeholders.PLACEHOLDERS'.
CANNED_REPLIES: list[tuple[str, str]] = [
    ("Greeting and closing", "Hello {{ contact.first_name }},\n\n\n\nKind regards,\n{{ agent.name }}"),
    ("Need more details",
     "Hello {{ contact.first_name }},\n\nthank you for ticket #{{ ticket.number }}. So that we can look "
     "into it, please tell us:\n\n- the domain or mailbox concerned,\n- the exact error message (a "
     "screenshot helps),\n- since when it happens.\n\nKind regards,\n{{ agent.name }}"),
    ("DNS change takes effect within the hour",
     "Hello {{ contact.first_name }},\n\nwe have changed the DNS record for {{ account.name }}. Our name "
     "servers answer with the new value now; other resolvers may keep the old one for up to an hour "
     "(the record's TTL).\n\nKind regards,\n{{ agent.name }}"),
    ("Backup restored",
     "Hello {{ contact.first_name }},\n\nwe have restored the backup you asked for in "
     "\"{{ ticket.subject }}\". Please check the site and tell us if anything is missing.\n\n"
     "Kind regards,\n{{ agent.name }}"),
]

# Nothing in the mail may change between runs (its Message-ID, date, MIME boundary): the same bytes
# have the same dedup key, so that receiving it again is answered as a duplicate, not a second ticket.
GUEST_MAIL_ID = "<demo-1@mail.quinn-bakery.example>"


def guest_mail() -> bytes:
    """A customer's mail from an address the helpdesk does not know: a guest's new ticket."""
    mail = EmailMessage(policy=SMTP)
    mail["From"] = "Pat Quinn <pat@quinn-bakery.example>"
    mail["To"] = "support@hosting.example"
    mail["Subject"] = "SSL certificate warning on www.quinn-bakery.example"
    mail["Date"] = "Tue, 01 Dec 2026 08:47:12 +0000"
    mail["Message-ID"] = GUEST_MAIL_ID
    mail["User-Agent"] = "Thunderbird/128.5"
    mail.set_content(
        "Hello,\n\n"
        "since this morning visitors of www.quinn-bakery.example see\n"
        "\"Your connection is not private\". quinn-bakery.example without www\n"
        "works. We are not in your control panel yet: a friend set the site\n"
        "up for us last year.\n\n"
        "The browser's details are attached.\n\n"
        "Thanks,\nPat Quinn\nQuinn's Bakery\n")
    mail.add_attachment(
        "NET::ERR_CERT_COMMON_NAME_INVALID\n"
        "Subject: CN=quinn-bakery.example\n"
        "Issuer: C=US, O=Let's Encrypt, CN=R11\n"
        "Expires: Feb 27 08:12:40 2027 GMT\n",
        filename="certificate-details.txt")
    mail.set_boundary("demo-mail-part")
    return mail.as_bytes()
