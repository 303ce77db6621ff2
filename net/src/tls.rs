//! Mutual TLS between mergedb devices (SPEC.md §6B.6), as Syncthing does
//! it: each side shows its self-signed certificate and proves it holds the
//! key, and is then known by the certificate's hash, its device id. No
//! certificate authority is asked; a device is trusted because the user
//! paired its id, which `ws` checks once the handshake is done, before a
//! single byte of the protocol moves. TLS 1.3 only.

use crate::device_id::DeviceId;
use crate::identity::Identity;
use crate::NetError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CommonState, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use std::sync::Arc;

/// The name a client asks for. Certificates are not checked against names:
/// the device id is what counts.
pub const SERVER_NAME: &str = "mergedb";

/// Takes any well-formed certificate whose key signs the handshake: who the
/// device is gets decided from its id afterwards, not from a CA.
#[derive(Debug)]
struct AnyDevice {
    algorithms: WebPkiSupportedAlgorithms,
}

fn well_formed(cert: &CertificateDer<'_>) -> Result<(), rustls::Error> {
    // The signature check parses it; an empty one is refused here.
    match cert.is_empty() {
        true => Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::BadEncoding,
        )),
        false => Ok(()),
    }
}

impl ServerCertVerifier for AnyDevice {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        well_formed(end_entity).map(|()| ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        // Never called: only TLS 1.3 is offered.
        Err(rustls::Error::General("TLS 1.2 is not offered".into()))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

impl ClientCertVerifier for AnyDevice {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        well_formed(end_entity).map(|()| ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        ServerCertVerifier::verify_tls12_signature(self, message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        ServerCertVerifier::verify_tls13_signature(self, message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        ServerCertVerifier::supported_verify_schemes(self)
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }
}

/// A device's TLS configurations, for both ends of a connection.
#[derive(Clone, Debug)]
pub struct Tls {
    /// What a server accepts with.
    pub server: Arc<rustls::ServerConfig>,
    /// What a client connects with.
    pub client: Arc<rustls::ClientConfig>,
}

impl Tls {
    /// The configurations of the device `identity`.
    pub fn new(identity: &Identity) -> Result<Tls, NetError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = Arc::new(AnyDevice {
            algorithms: provider.signature_verification_algorithms,
        });
        let bad = |e: rustls::Error| NetError::Identity(format!("the TLS setup: {e}"));
        let chain = || vec![CertificateDer::from(identity.cert_der.clone())];
        let key = || PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_der.clone()));
        let server = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(bad)?
            .with_client_cert_verifier(verifier.clone())
            .with_single_cert(chain(), key())
            .map_err(bad)?;
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(bad)?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_client_auth_cert(chain(), key())
            .map_err(bad)?;
        Ok(Tls {
            server: Arc::new(server),
            client: Arc::new(client),
        })
    }
}

/// The device at the other end of a finished handshake.
pub fn peer_device(state: &CommonState) -> Result<DeviceId, NetError> {
    state
        .peer_certificates()
        .and_then(|certs| certs.first())
        .map(|cert| DeviceId::of_certificate(cert))
        .ok_or_else(|| NetError::Protocol("the peer showed no certificate".into()))
}
