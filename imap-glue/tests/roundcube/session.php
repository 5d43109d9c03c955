<?php
// Drives Roundcube's own IMAP library (Debian roundcube-core, rcube_imap_generic) against a
// running `mailfts imap`: login, folder list, subscribed folders (LIST-EXTENDED), message list sorted by date, open a message, quick
// search (non-ASCII, as a literal), move to Trash. Prints "ROUNDCUBE OK" and exits 0 when all work.
//
// usage: php session.php HOST PORT USER PASSWORD [ROUNDCUBE_LIB_DIR]
// The INBOX must hold the three fixture messages of the Rust tests and a Trash folder must exist.

$lib = $argv[5] ?? '/usr/share/roundcube/program/lib/Roundcube';
define('RCUBE_INSTALL_PATH', dirname($lib, 3) . '/');
require_once $lib . '/bootstrap.php';

[, $host, $port, $user, $pass] = $argv;

function check($ok, $what)
{
    if (!$ok) {
        fwrite(STDERR, "FAILED: $what\n");
        exit(1);
    }
    echo "ok: $what\n";
}

$imap = new rcube_imap_generic();
$imap->setDebug((bool) getenv('RC_DEBUG'), function ($c, $m) { fwrite(STDERR, "$m\n"); });
$ok = $imap->connect($host, $user, $pass, ['port' => (int) $port, 'timeout' => 10]);
check($ok, 'login (' . $imap->error . ')');
check($imap->getCapability('SORT') && $imap->getCapability('ESEARCH'), 'SORT and ESEARCH advertised');

// Folder list.
$folders = $imap->listMailboxes('', '*');
check(is_array($folders) && in_array('INBOX', $folders) && in_array('Trash', $folders),
    'folder list: ' . json_encode($folders));

// Subscribed folders as Roundcube lists them when the server has LIST-EXTENDED:
// LIST (SUBSCRIBED) "" "*" (no subscriptions file: every folder counts as subscribed).
check($imap->getCapability('LIST-EXTENDED'), 'LIST-EXTENDED advertised');
$subscribed = $imap->listMailboxes('', '*', null, ['SUBSCRIBED']);
check(is_array($subscribed) && in_array('INBOX', $subscribed) && in_array('Trash', $subscribed)
    && in_array('\\Subscribed', $imap->data['LIST']['INBOX'] ?? []),
    'subscribed folder list: ' . json_encode($subscribed) . ' ' . json_encode($imap->data['LIST'] ?? null));

// Message list sorted by date (Roundcube sorts with SORT when the server has it).
$index = $imap->sort('INBOX', 'DATE', 'ALL', true, 'UTF-8');
check($index->get() == [3, 1, 2], 'sorted by date: ' . json_encode($index->get()));
$index = $imap->sort('INBOX', 'DATE', 'ALL', true, 'UTF-8');
$headers = $imap->fetchHeaders('INBOX', '1:*', true, false, ['DATE', 'FROM', 'TO', 'SUBJECT', 'CONTENT-TYPE']);
$subjects = [];
foreach ($headers as $h) {
    $subjects[$h->uid] = rcube_mime::decode_header($h->subject, 'UTF-8');
}
ksort($subjects);
check($subjects == [1 => 'Quarterly report', 2 => 'Re: Quarterly report', 3 => 'Straße party'],
    'message list headers: ' . json_encode($subjects, JSON_UNESCAPED_UNICODE));

// Open a message: structure, then the text part.
$h = $imap->fetchHeader('INBOX', 3, true, true);
check($h && is_array($h->bodystructure) && count($h->bodystructure) >= 2, 'BODYSTRUCTURE of a multipart');
$text = $imap->handlePartBody('INBOX', 3, true, '1');
check(trim($text) == 'Come over.', 'part 1 body: ' . json_encode($text));
$text = $imap->handlePartBody('INBOX', 2, true, 'TEXT');
check(strpos($text, 'Grüße') !== false, 'message text');

// Quick search as Roundcube writes it: OR HEADER SUBJECT x HEADER FROM x, non-ASCII as a literal.
$q = $imap->escape('straße');
$res = $imap->search('INBOX', "CHARSET UTF-8 OR HEADER SUBJECT $q HEADER FROM $q", true);
check($res->get() == [3], 'quick search non-ASCII: ' . json_encode($res->get()));
$q = $imap->escape('report');
$res = $imap->search('INBOX', "CHARSET UTF-8 OR HEADER SUBJECT $q HEADER FROM $q", true);
check($res->get() == [1, 2], 'quick search: ' . json_encode($res->get()));
$threads = $imap->thread('INBOX', 'REFERENCES', '', true, 'UTF-8');
check($threads->count() == 2, 'threads: ' . $threads->count());

// Move to Trash.
check($imap->move([1], 'INBOX', 'Trash'), 'move to Trash (' . $imap->error . ')');
$left = $imap->search('INBOX', 'ALL', true);
check($left->get() == [2, 3], 'INBOX after move: ' . json_encode($left->get()));
$trash = $imap->search('Trash', 'ALL', true);
check($trash->count() == 1, 'Trash after move');

$imap->closeConnection();
echo "ROUNDCUBE OK\n";
