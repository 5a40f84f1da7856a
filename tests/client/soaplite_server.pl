#!/usr/bin/perl
# A helpdesk written with Perl's SOAP::Lite (SOAP::Transport::HTTP::Daemon):
# the far side the client must interoperate with, independent of our server.
#
#   soaplite_server.pl SECRET ECHO_FILE
#
# Prints its endpoint URL on the first line of stdout, then serves until
# killed. Every request must carry a valid X-HSPC-Signature (HMAC-SHA256 of
# "t\nn\nbody", timestamp within 300 s, nonce never seen); otherwise HTTP 401
# with a Client fault. Each accepted call is appended to ECHO_FILE as one JSON
# line {"method": ..., "params": [...as SOAP::Lite decoded them...]}.
use strict;
use warnings;
use SOAP::Transport::HTTP;
use Digest::SHA qw(hmac_sha256_hex);
use JSON::PP;
use Encode qw(decode);
use IO::Handle;

my ($secret, $echo_file) = @ARGV;
die "usage: soaplite_server.pl SECRET ECHO_FILE\n" unless defined $echo_file;
my $namespace = 'urn:HSPC/ExternalHelpdesk';

package Helpdesk;

use Scalar::Util qw(reftype);

my %held;

# SOAP::Lite hands xsd:string text over as characters and base64Binary as
# the raw bytes (UTF-8 from a careful client): both become characters here.
sub chars {
    my ($value) = @_;
    # Structs arrive blessed (into "Struct" and the like): look at the reference type.
    my $type = reftype($value) // '';
    return [ map { chars($_) } @$value ] if $type eq 'ARRAY';
    return { map { ($_ => chars($value->{$_})) } keys %$value } if $type eq 'HASH';
    return $value if !defined $value || utf8::is_utf8($value);
    return Encode::decode('UTF-8', $value, Encode::FB_CROAK | Encode::LEAVE_SRC);
}

sub echo {
    my ($method, @params) = @_;
    open my $fh, '>>', $echo_file or die "cannot append to $echo_file: $!";
    print $fh JSON::PP->new->utf8->canonical->encode({ method => $method, params => chars(\@params) }), "\n";
    close $fh;
}

sub greet { echo('greet'); return 'SOAP::Lite helpdesk' }

sub alter_contacts {
    my ($class, $contacts) = @_;
    echo('alter_contacts', $contacts);
    $contacts = [$contacts] if (reftype($contacts) // '') eq 'HASH';
    die SOAP::Fault->faultcode('Client')->faultstring('contacts must be an array')
        unless (reftype($contacts) // '') eq 'ARRAY';
    for my $contact (@$contacts) {
        die SOAP::Fault->faultcode('Client')->faultstring('a contact has no numeric id')
            unless (reftype($contact) // '') eq 'HASH' && defined $contact->{id} && $contact->{id} =~ /^[0-9]+$/;
        $held{ $contact->{id} } = 1;
    }
    return SOAP::Data->type(int => scalar @$contacts);
}

sub list_contacts {
    echo('list_contacts');
    return [ map { SOAP::Data->type(int => $_) } sort { $a <=> $b } keys %held ];
}

sub init_session {
    my ($class, $id, $ip, $act) = @_;
    echo('init_session', $id, $ip, $act);
    die SOAP::Fault->faultcode('Client')->faultstring("unknown person id $id") unless $held{$id};
    return SOAP::Data->type(string => "http://soaplite.test/login?id=$id&ip=$ip&act=$act");
}

package main;

my %seen_nonces;

sub signature_ok {
    my ($request) = @_;
    my $header = $request->header('X-HSPC-Signature') // return 0;
    my ($t, $n, $s) = $header =~ /\At=([0-9]{1,12}) *, *n=([A-Za-z0-9_-]{16,64}) *, *s=([0-9a-f]{64})\z/
        or return 0;
    return 0 if abs(time - $t) > 300 || $seen_nonces{$n};
    return 0 unless hmac_sha256_hex("$t\n$n\n" . $request->content, $secret) eq $s;
    $seen_nonces{$n} = 1;
    return 1;
}

my $daemon = SOAP::Transport::HTTP::Daemon->new(LocalAddr => '127.0.0.1', LocalPort => 0, ReuseAddr => 1)
    ->dispatch_with({ $namespace => 'Helpdesk' })
    ->dispatch_to('Helpdesk');
STDOUT->autoflush(1);
print 'http://127.0.0.1:', $daemon->sockport, "/soap/\n";

my $refused = SOAP::Serializer->new->fault('soap:Client', 'authentication failed');
while (my $connection = $daemon->accept) {
    # One request per connection: this server is single-threaded, and a
    # client's idle keep-alive connection must not shut out the next client.
    while (my $request = $connection->get_request) {
        $connection->force_last_request;
        if (!signature_ok($request)) {
            my $response = HTTP::Response->new(401, 'Unauthorized',
                ['Content-Type' => 'text/xml; charset=utf-8', 'Connection' => 'close'], $refused);
            $connection->send_response($response);
            next;
        }
        $daemon->request($request);
        $daemon->SOAP::Transport::HTTP::Server::handle;
        $daemon->response->header(Connection => 'close');
        $connection->send_response($daemon->response);
    }
    $connection->close;
}
