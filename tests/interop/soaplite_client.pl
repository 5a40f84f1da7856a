#!/usr/bin/perl
# A platform-side client exactly as the platform's own: Perl SOAP::Lite,
# signing each request with X-HSPC-Signature.
#
#   soaplite_client.pl URL SECRET METHOD JSON_ARGS [uri|ns]
#
# Prints {"result": ...} or {"fault": {"code": ..., "string": ...}} as JSON.
use strict;
use warnings;
use SOAP::Lite;
use Digest::SHA qw(hmac_sha256_hex);
use JSON::PP;
use Encode qw(encode_utf8);

my ($url, $secret, $method, $json_args, $style) = @ARGV;
$style ||= 'uri';
# The platform hands SOAP::Lite UTF-8 byte strings (a character string would
# be encoded twice by SOAP::Lite), so every string is turned into bytes.
sub to_bytes {
    my ($value) = @_;
    return [ map { to_bytes($_) } @$value ] if ref $value eq 'ARRAY';
    return { map { ($_ => to_bytes($value->{$_})) } keys %$value } if ref $value eq 'HASH';
    return defined $value && !ref $value ? encode_utf8($value) : $value;
}
my $args = to_bytes(JSON::PP->new->utf8->decode($json_args));
my $namespace = 'urn:HSPC/ExternalHelpdesk';

my $soap = SOAP::Lite->proxy($url, timeout => 120);
if ($style eq 'ns') { $soap->ns($namespace) } else { $soap->uri($namespace) }
$soap->on_fault(sub { my ($self, $res) = @_; return ref $res ? $res : die "transport: " . $self->transport->status . "\n" });

$soap->transport->proxy->add_handler(request_prepare => sub {
    my ($request) = @_;
    my $t = time;
    my $n = join '', map { ('A'..'Z', 'a'..'z', 0..9, '_', '-')[rand 64] } 1 .. 32;
    my $body = $request->content;
    $body = encode_utf8($body) if utf8::is_utf8($body);
    my $s = hmac_sha256_hex("$t\n$n\n$body", $secret);
    $request->header('X-HSPC-Signature' => "t=$t, n=$n, s=$s");
    return;
});

my $som = eval { $soap->call($method => @$args) };
my $json = JSON::PP->new->utf8->canonical->allow_nonref;
if (!$som) {
    print $json->encode({ transport_error => ($@ || $soap->transport->status) });
} elsif (ref $som && $som->fault) {
    print $json->encode({ fault => { code => $som->faultcode, string => $som->faultstring },
                          http_status => $soap->transport->code });
} else {
    print $json->encode({ result => $som->result, http_status => $soap->transport->code });
}
print "\n";
