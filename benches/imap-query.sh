# imap-query.sh — sourced by the benches that run IMAP SEARCH programs through other tools
# (dovecot-naive.sh, peers.sh); not a script of its own.
#
# tokenize LINE     -> TOKENS: double-quoted strings ("usb gadget", with \" and \\ escapes) are one
#                      token, ( and ) separate ones; returns 1 on an unterminated quote.
# translate LINE    -> DTOKENS: the program in doveadm-search-query(7) form (IMAP's, except that OR
#                      is infix and needs parentheses: `OR a b` becomes `( ( a ) OR ( b ) )`); keys are
#                      checked against RFC 3501's list; returns 1 with TERR set on anything else.
# read_queries FILE -> appends to QUERIES the programs of FILE, one per line, trimmed ('#' comments
#                      and blank lines skipped).
# Both leave POS after the last token read (peers.sh's notmuch translation reads TOKENS too).

TOKENS=()
tokenize() {
  local s=$1 i c tok="" intok=0 inq=0 n=${#1}
  TOKENS=()
  for (( i = 0; i < n; i++ )); do
    c=${s:i:1}
    if (( inq )); then
      if [[ $c == '\' && $((i + 1)) -lt $n ]]; then i=$((i + 1)); tok+=${s:i:1}
      elif [[ $c == '"' ]]; then inq=0
      else tok+=$c; fi
      continue
    fi
    case $c in
      ' '|$'\t'|$'\r') if (( intok )); then TOKENS+=("$tok"); tok=""; intok=0; fi ;;
      '"') inq=1; intok=1 ;;
      '('|')') if (( intok )); then TOKENS+=("$tok"); tok=""; intok=0; fi; TOKENS+=("$c") ;;
      *) tok+=$c; intok=1 ;;
    esac
  done
  (( inq )) && return 1
  if (( intok )); then TOKENS+=("$tok"); fi
  return 0
}

# IMAP SEARCH program (TOKENS) -> doveadm search-query tokens (DTOKENS).
# doveadm's query language is IMAP's except that OR is infix and needs
# parentheses: IMAP `OR a b` becomes `( ( a ) OR ( b ) )`.  Keys are checked
# against RFC 3501's list; anything else is reported as unsupported.
# Returns 1 with TERR set on an error.
DTOKENS=() TERR="" POS=0
KEYS0=" ALL ANSWERED DELETED DRAFT FLAGGED NEW OLD RECENT SEEN UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN "
KEYS1=" BCC BEFORE BODY CC FROM KEYWORD LARGER ON SENTBEFORE SENTON SENTSINCE SINCE SMALLER SUBJECT TEXT TO UID UNKEYWORD "
need() { (( POS + $1 <= ${#TOKENS[@]} )) || { TERR="$2 needs $1 argument(s)"; return 1; }; }
tr_key() {
  (( POS < ${#TOKENS[@]} )) || { TERR="search key expected at end of query"; return 1; }
  local tok=${TOKENS[POS]} up
  up=${tok^^}
  POS=$((POS + 1))
  if [[ $up == "(" ]]; then
    DTOKENS+=("(")
    while :; do
      (( POS < ${#TOKENS[@]} )) || { TERR="missing ')'"; return 1; }
      [[ ${TOKENS[POS]} == ")" ]] && break
      tr_key || return 1
    done
    POS=$((POS + 1)); DTOKENS+=(")")
  elif [[ $up == ")" ]]; then TERR="unexpected ')'"; return 1
  elif [[ $up == OR ]]; then
    DTOKENS+=("(" "("); tr_key || return 1
    DTOKENS+=(")" OR "("); tr_key || return 1
    DTOKENS+=(")" ")")
  elif [[ $up == NOT ]]; then DTOKENS+=(NOT); tr_key || return 1
  elif [[ $KEYS0 == *" $up "* || $up =~ ^[0-9*:,]+$ ]]; then DTOKENS+=("$tok")
  elif [[ $KEYS1 == *" $up "* ]]; then need 1 "$up" || return 1; DTOKENS+=("$tok" "${TOKENS[POS]}"); POS=$((POS + 1))
  elif [[ $up == HEADER ]]; then need 2 HEADER || return 1; DTOKENS+=("$tok" "${TOKENS[POS]}" "${TOKENS[POS + 1]}"); POS=$((POS + 2))
  else TERR="search key '$tok' not supported by this script's IMAP->doveadm translation"; return 1
  fi
}
translate() {  # LINE -> DTOKENS, or return 1 with TERR
  DTOKENS=() TERR="" POS=0
  tokenize "$1" || { TERR="unterminated quoted string"; return 1; }
  (( ${#TOKENS[@]} > 0 )) || { TERR="empty query"; return 1; }
  while (( POS < ${#TOKENS[@]} )); do tr_key || return 1; done
}

read_queries() {
  local line
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    line=$(sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' <<< "$line")
    QUERIES+=("$line")
  done < "$1"
}
